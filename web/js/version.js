// version.js — the app's version. The build (scripts/build-web.py) writes
// the installed copy with heph's version and a digest of the shell files.
export const VERSION = 'dev';
