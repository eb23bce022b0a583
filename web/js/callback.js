// callback.js — the login's last step, on auth/callback.html: trade the
// code the identity provider sent back for tokens (auth.js), then go back to
// the app. The code leaves the address bar at once.

import { Login } from './auth.js';

const app = new URL('../', location.href);
const query = location.search;
history.replaceState(null, '', location.pathname);

Login.finish(query).then((route) => {
  location.replace(`${app.href}${route}`);
}).catch((e) => {
  document.getElementById('msg').textContent = `The login did not finish: ${e.message}.`;
  document.getElementById('back').hidden = false;
});
