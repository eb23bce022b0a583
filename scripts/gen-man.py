#!/usr/bin/env python3
"""Write heph's manual pages from what the programs say about themselves, so
that nothing is written twice:

  heph.1      heph --help and each verb's --help (the verb table, verbs.c)
  heph-tui.1  heph-tui --help and heph-tui --keys (the key table, keys.c)
  hephd.8     hephd --help (its modes, options and exit status)
  heph-ops.5  docs/reference/ops.md (the op format), turned into roff
  heph-capture.1  heph-capture --help (with --capture; built only with it)

usage: gen-man.py HEPH HEPH-TUI HEPHD OPS-MD OUTDIR
       gen-man.py --capture HEPH HEPH-CAPTURE OUTDIR
The build runs it (man/meson.build); make install puts the pages under
PREFIX/share/man/man{1,5,8}.
"""
import os
import re
import subprocess
import sys
import tempfile


def run(*argv):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="80")
    with tempfile.TemporaryDirectory() as d:
        env["HEPH_DB"] = os.path.join(d, "man.db")
        env.pop("HEPH_REMOTE", None)
        return subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout


def esc(text):
    """Text for roff: backslashes escaped, hyphens of options kept literal,
    and no line starting with a control character."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w])-", r"\\-", text)
    return "\n".join(("\\&" + l) if l[:1] in (".", "'") else l for l in text.split("\n"))


def inline_md(text):
    """Markdown inline markup to roff: `code` and **bold** bold, links as their text."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append("\\fB" + esc(p[1:-1]) + "\\fR")
        else:
            p = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", p)
            p = esc(p)
            p = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", p)
            out.append(p)
    return "".join(out)


def header(name, section, title):
    version = run(HEPH, "--version").split()[1]
    return ['.TH "%s" "%s" "" "heph %s" "%s"' % (name.upper(), section, version, title), ".nh", ".ad l"]


def options_block(lines):
    """'  --opt ARG   help' lines (help continued on deeper-indented lines)
    as (term, help) pairs."""
    items = []
    for l in lines:
        m = re.match(r"^  (\S.*?)(?:\s{2,}(\S.*))?$", l)
        if m and not l.startswith("   "):
            term, text = m.group(1), m.group(2) or ""
            # "--http-addr HOST:PORT where ..." (one space before the help)
            one = re.match(r"^(--\S+(?: [A-Z][A-Z0-9:_|./-]*)?) (\S.*)$", term)
            if one and not text:
                term, text = one.group(1), one.group(2)
            items.append([term, text])
        elif items and l.strip():
            items[-1][1] = (items[-1][1] + " " + l.strip()).strip()
    return items


def tp(term, text):
    return [".TP", "\\fB" + esc(term) + "\\fR" if not term.startswith("\\f") else term, esc(text)]


def blocks(text):
    return [b for b in re.split(r"\n\s*\n", text.strip("\n"))]


def exit_status(text):
    """'Exit status: 0 ok, 1 error, ...' as .TP items."""
    text = re.sub(r"\s+", " ", text.split(":", 1)[1]).strip()
    body, _, tail = text.partition(". ")
    out = []
    for m in re.finditer(r"(\d+) ([^,]+)", body.rstrip(".")):
        out += tp(m.group(1), m.group(2).strip())
    if tail:
        out += [".PP", esc(tail)]
    return out


def heph_page():
    overview = run(HEPH, "--help")
    names = [m.group(1).strip() for m in re.finditer(r"^  ([a-z][a-z ]*[a-z])  ", overview, re.M)]
    bs = blocks(overview)
    out = header("heph", "1", "heph manual")
    out += [".SH NAME", "heph \\- tasks, projects and docs in a local database: what to do right now"]
    out += [".SH SYNOPSIS", ".B heph", esc(bs[0].split(":", 1)[1].strip().split(" ", 1)[1])]
    out += [".SH DESCRIPTION", esc(re.sub(r"\s*Verbs:$", "", bs[1].strip()).replace("\n", " ").rstrip(".") + ".")]
    out += [".PP", "The verbs below; \\fBheph help VERB\\fR and \\fBheph VERB \\-\\-help\\fR print the same for one verb."]
    env_text = exit_text = None
    for b in bs[2:]:
        if b.startswith("Global options:"):
            out += [".SH GLOBAL OPTIONS"]
            for term, text in options_block(b.split("\n")[1:]):
                out += tp(term, text)
        elif b.startswith("Environment:"):
            env_text, _, exit_text = b.partition("Exit status:")
            exit_text = "Exit status:" + exit_text
    out += [".SH VERBS"]
    for v in names:
        text = run(HEPH, *v.split(), "--help")
        vb = blocks(text)
        usage = vb[0].split(":", 1)[1].strip()
        out += [".SS " + esc(usage), esc(vb[1].strip())]
        for b in vb[2:]:
            lines = b.split("\n")
            if lines[0] == "Options:" or lines[0].startswith("  --"):
                opts = [o for o in options_block(lines[1:] if lines[0] == "Options:" else lines)
                        if o[0] not in ("--json", "--help")]
                for term, t in opts:
                    out += [".RS"] + tp(term, t) + [".RE"]
            else:
                out += [".PP", ".nf", esc(b), ".fi"]
    if env_text:
        out += [".SH ENVIRONMENT"]
        items = re.split(r",\s*(?![^(]*\))", re.sub(r"\s+", " ", env_text.split(":", 1)[1]).strip().rstrip("."))
        for item in items:
            m = re.match(r"([A-Z_]+)(=\S+)?\s*(?:\((.*)\))?", item.strip())
            if m:
                out += tp(m.group(1), ((m.group(2) or "")[1:] + " " + (m.group(3) or "")).strip() or "see heph --help")
    if exit_text:
        out += [".SH EXIT STATUS"] + exit_status(exit_text)
    out += [".SH FILES", ".TP", "\\fI$XDG_DATA_HOME/heph/heph.db\\fR (\\fI~/.local/share/heph/heph.db\\fR)",
            "the database, unless \\fB\\-\\-db\\fR or \\fBHEPH_DB\\fR names another",
            ".TP", "\\fI$XDG_RUNTIME_DIR/heph/hephd.sock\\fR", "the socket of the local \\fBhephd\\fR(8)"]
    out += [".SH SEE ALSO", "\\fBheph-tui\\fR(1), \\fBhephd\\fR(8), \\fBheph-ops\\fR(5); docs/reference/cli.md"]
    return out


def tui_page():
    text = run(TUI, "--help")
    bs = blocks(text)
    out = header("heph-tui", "1", "heph manual")
    out += [".SH NAME", "heph-tui \\- the agenda and triage surface of heph, in a terminal"]
    out += [".SH SYNOPSIS", ".B heph-tui", esc(bs[0].split("heph-tui", 1)[1].strip())]
    out += [".SH DESCRIPTION", esc(bs[1].replace("\n", " "))]
    for b in bs[2:]:
        if b.startswith("Options:"):
            out += [".SH OPTIONS"]
            for term, t in options_block(b.split("\n")[1:]):
                out += tp(term, t)
        elif b.startswith("Environment:"):
            env, _, ex = b.partition("Exit status:")
            out += [".SH ENVIRONMENT", esc(re.sub(r"\s+", " ", env.split(":", 1)[1]).strip())]
            out += [".SH EXIT STATUS", esc(re.sub(r"\s+", " ", ex).strip())]
    out += [".SH KEYS"]
    for line in run(TUI, "--keys").splitlines():
        keys, _, what = line.partition("\t")
        out += tp(keys, what)
    out += [".SH SEE ALSO", "\\fBheph\\fR(1), \\fBhephd\\fR(8); docs/reference/tui.md"]
    return out


def capture_page():
    bs = blocks(run(CAPTURE, "--help"))
    out = header("heph-capture", "1", "heph manual")
    out += [".SH NAME", "heph-capture \\- a window to capture one task with quick add, for a global hotkey"]
    out += [".SH SYNOPSIS", ".B heph-capture", esc(bs[0].split("heph-capture", 1)[1].strip())]
    out += [".SH DESCRIPTION", esc(bs[1].replace("\n", " "))]
    for b in bs[2:]:
        head, _, rest = b.partition("\n")
        if head in ("Keys:", "Options:"):
            out += [".SH " + head.rstrip(":").upper()]
            for term, t in options_block(rest.split("\n")):
                out += tp(term, t)
        elif b.startswith("Environment:"):
            out += [".SH ENVIRONMENT", esc(re.sub(r"\s+", " ", b.split(":", 1)[1]).strip())]
        elif b.startswith("Exit status:"):
            out += [".SH EXIT STATUS", esc(re.sub(r"\s+", " ", b.split(":", 1)[1]).strip())]
    out += [".SH SEE ALSO", "\\fBheph\\fR(1); docs/how-to/capture-a-task-from-anywhere.md"]
    return out


def hephd_page():
    text = run(HEPHD, "--help")
    bs = blocks(text)
    out = header("hephd", "8", "heph manual")
    out += [".SH NAME", "hephd \\- a heph replica for other programs, kept in sync; or the hub"]
    out += [".SH SYNOPSIS"]
    for l in bs[0].split("\n"):
        out += [".br" if out[-1] != ".SH SYNOPSIS" else "", esc(re.sub(r"^(usage:)?\s*", "", l))]
    out = [l for l in out if l != ""]
    desc = bs[1].split("\n")
    out += [".SH DESCRIPTION", esc(desc[0]), ".SH MODES"]
    for term, t in options_block(desc[1:]):
        out += tp("--mode " + term.split()[0], (" ".join(term.split()[1:]) + " " + t).strip())
    for b in bs[2:]:
        if b.startswith("Options:"):
            out += [".SH OPTIONS"]
            for term, t in options_block(b.split("\n")[1:]):
                out += tp(term, t)
        elif b.startswith("Exit status:"):
            out += [".SH EXIT STATUS"] + exit_status(b)
    out += [".SH SIGNALS", "SIGTERM, SIGINT and SIGHUP stop it cleanly."]
    out += [".SH SEE ALSO", "\\fBheph\\fR(1), \\fBheph-ops\\fR(5); docs/how-to/set-up-a-hub.md"]
    return out


def ops_page():
    with open(OPS_MD) as f:
        md = f.read().split("\n")
    out = header("heph-ops", "5", "heph file formats")
    title = md[0].lstrip("# ").strip()
    out += [".SH NAME", "heph-ops \\- heph's op format: the op envelope, the HLC text encoding, op types and payloads"]
    out += [".SH DESCRIPTION", ".PP", "%s, as docs/reference/ops.md describes them." % esc(title)]
    i = 1
    para = []

    def flush():
        if para:
            out.extend([".PP", inline_md(" ".join(para))])
            para.clear()
    while i < len(md):
        l = md[i]
        if l.startswith("## "):
            flush()
            out.append(".SH " + esc(l[3:].upper()))
        elif l.startswith("|"):
            flush()
            rows = []
            while i < len(md) and md[i].startswith("|"):
                cells = [c.strip() for c in md[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            head, rows = rows[0], rows[1:]
            for r in rows:
                out += [".TP", inline_md(r[0])]
                out.append(inline_md("; ".join("%s: %s" % (h, c) for h, c in zip(head[1:], r[1:]))))
            continue
        elif re.match(r"^\d+\. ", l):
            flush()
            n, _, rest = l.partition(". ")
            out += [".IP %s. 4" % n, inline_md(rest)]
        elif not l.strip():
            flush()
        else:
            para.append(l.strip())
        i += 1
    flush()
    out += [".SH SEE ALSO", "\\fBheph\\fR(1) (\\fBheph ops \\-\\-json\\fR, \\fBheph apply\\fR), \\fBhephd\\fR(8)"]
    return out


def main():
    global HEPH, TUI, HEPHD, OPS_MD, CAPTURE
    if len(sys.argv) == 5 and sys.argv[1] == "--capture":
        HEPH, CAPTURE, outdir = sys.argv[2:]
        os.makedirs(outdir, exist_ok=True)
        with open(os.path.join(outdir, "heph-capture.1"), "w") as f:
            f.write("\n".join(capture_page()) + "\n")
        return
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    HEPH, TUI, HEPHD, OPS_MD, outdir = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    for name, page in (("heph.1", heph_page), ("heph-tui.1", tui_page), ("hephd.8", hephd_page),
                       ("heph-ops.5", ops_page)):
        with open(os.path.join(outdir, name), "w") as f:
            f.write("\n".join(page()) + "\n")


if __name__ == "__main__":
    main()
