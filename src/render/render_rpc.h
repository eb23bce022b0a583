/* render_rpc.h — hephd's own RPC methods that need cmark-gfm (doc.render).
 * The table is static; heph_render_register() lends it to the dispatcher. */
#ifndef HEPH_RENDER_RPC_H
#define HEPH_RENDER_RPC_H

#include "heph/rpc.h"

/* Add doc.render to the method table (heph_rpc_extend); call once at start-up. */
void heph_render_register(void);

/* The methods themselves, for docs. */
const heph_rpc_method *heph_render_methods(void);

#endif
