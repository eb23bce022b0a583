/* level1.c — the registry of a level-1 build (ext.h): level 1 is the core
 * itself, so it adds nothing. */
#include "ext.h"

const heph_ext heph__ext = { .level = 1 };
