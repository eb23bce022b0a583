#!/usr/bin/env python3
"""build-web.py — assemble the web app (web/) into a directory the hub serves.

    build-web.py --src web --out build/web --version 0.1.0 --stamp build/web/web.stamp FILE...
    build-web.py --install build/web share/heph/web      (meson install script)

There is no bundler: the files are copied as they are, and two are written:
  sw.js          VERSION = "<version>+<digest>" and SHELL = every file copied
                 but those under auth/ (the login callback),
                 so any change to the shell makes phones fetch the new one
  js/version.js  the same VERSION, shown in Settings
The digest is SHA-256 over the shell files' paths and contents (first 10 hex).
FILE... are the inputs meson tracks; a file under --src missing from them is an
error, so the build can't silently ship a stale copy.
"""
import argparse
import hashlib
import os
import re
import shutil
import sys

SKIP = {'meson.build'}


def shell_files(src):
    out = []
    for root, dirs, files in os.walk(src):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        for f in sorted(files):
            if f.startswith('.') or f in SKIP:
                continue
            out.append(os.path.relpath(os.path.join(root, f), src).replace(os.sep, '/'))
    return out


def build(a):
    src = os.path.abspath(a.src)
    files = shell_files(src)
    tracked = {os.path.relpath(os.path.abspath(f), src).replace(os.sep, '/') for f in a.inputs}
    untracked = [f for f in files if f not in tracked]
    if a.inputs and untracked:
        sys.exit(f'build-web: not listed in web/meson.build: {", ".join(untracked)}')
    h = hashlib.sha256()
    for f in files:
        if f in ('sw.js', 'js/version.js'):
            continue
        h.update(f.encode() + b'\0')
        with open(os.path.join(src, f), 'rb') as fh:
            h.update(fh.read())
        h.update(b'\0')
    with open(os.path.join(src, 'sw.js'), 'rb') as fh:
        h.update(fh.read())
    version = f'{a.version}+{h.hexdigest()[:10]}'
    for f in files:
        dst = os.path.join(a.out, f)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if f == 'js/version.js':
            text = open(os.path.join(src, f), encoding='utf-8').read()
            text = re.sub(r"export const VERSION = '[^']*';", f"export const VERSION = '{version}';", text)
            open(dst, 'w', encoding='utf-8').write(text)
        elif f == 'sw.js':
            text = open(os.path.join(src, f), encoding='utf-8').read()
            text = re.sub(r"const VERSION = '[^']*';", f"const VERSION = '{version}';", text)
            # auth/ (the login callback) is never cached: it must reach the hub.
            shell = ["'./'"] + [f"'{x}'" for x in files if x != 'sw.js' and not x.startswith('auth/')]
            text = re.sub(r"const SHELL = \[[^\]]*\];", 'const SHELL = [\n  ' + ', '.join(shell) + ',\n];', text)
            open(dst, 'w', encoding='utf-8').write(text)
        else:
            shutil.copyfile(os.path.join(src, f), dst)
    if a.stamp:
        with open(a.stamp, 'w') as fh:
            fh.write(version + '\n')


def install(built, rel):
    dest = os.environ.get('MESON_INSTALL_DESTDIR_PREFIX') or os.environ.get('MESON_INSTALL_PREFIX') or '/usr/local'
    target = os.path.join(dest, rel)
    if os.path.isdir(target):
        shutil.rmtree(target)
    for root, dirs, files in os.walk(built):
        for f in files:
            if f == 'web.stamp':
                continue
            s = os.path.join(root, f)
            d = os.path.join(target, os.path.relpath(s, built))
            os.makedirs(os.path.dirname(d), exist_ok=True)
            shutil.copyfile(s, d)
            os.chmod(d, 0o644)
    print(f'Installing the web app to {target}')


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--install':
        return install(sys.argv[2], sys.argv[3])
    p = argparse.ArgumentParser()
    p.add_argument('--src', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--version', required=True)
    p.add_argument('--stamp')
    p.add_argument('inputs', nargs='*')
    build(p.parse_args())


if __name__ == '__main__':
    main()
