#!/usr/bin/env python3
"""Docs that run: every ```sql block of README.md and doc/*.md, executed.

The format (doc/development.md, "Examples in the docs"):
  - each file's ```sql blocks run in order, in one psql session, in a fresh
    database where CREATE EXTENSION bsperm has run (nothing else: no
    search_path, no roles; roles a file creates are dropped afterwards);
  - a ```text block that follows a ```sql block (only blank lines between) is
    the exact output psql prints for it: psql -X -q (no command tags), aligned
    output, NOTICEs and ERRORs as psql prints them ("psql:<stdin>:N: " removed);
    trailing spaces and leading/trailing blank lines are not compared;
  - a ```sql block without a ```text block must run without an ERROR;
  - a ```sql block whose first line is "-- not run: REASON" is shown, not run
    (the reason is printed with the results);
  - other fences (```sh, ```text not after sql, ```json ...) are not run.

Usage: run_docs.py [--print] [FILE...]  (default README.md doc/*.md), against
PGHOST/PGPORT as postgres.  Prints "ok"/"not ok" per block with the file and
line, a diff for every mismatch, and "# suite docs: N passed, N failed".
--print also prints what psql printed for every block, ready to paste as its
```text block.  --write FILE... rewrites each file: every ```sql block that
runs gets a ```text block with what psql printed (replacing the one it had;
none when psql printed nothing).  Review the diff: it accepts whatever
the server answered, errors included.
"""
import difflib
import glob
import os
import re
import subprocess
import sys

FENCE = re.compile(r'^```\s*([A-Za-z0-9_+-]*)(.*)$')
NOT_RUN = re.compile(r'^\s*--\s*not run:\s*(.+)$', re.I)
PRINT = False
OUTPUTS = {}
PREFIX = re.compile(r'^psql:<stdin>:\d+: ', re.M)


def blocks(path):
    """(lang, first_line_no, lines) for every fenced block, in order."""
    out, cur, lang, start = [], None, None, 0
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip('\n')
            m = FENCE.match(line.strip()) if line.lstrip().startswith('```') else None
            if cur is None:
                if m:
                    cur, lang, start = [], m.group(1).lower(), n + 1
                    indent = line[:len(line) - len(line.lstrip())]
                else:
                    out.append(('prose', n, [line]))
            elif line.strip() == '```':
                out.append((lang, start, cur))
                cur = None
            else:
                # a block indented in a list item: its fence's indentation is not content
                cur.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
    return out


def examples(path):
    """[(line, sql_lines, expected_lines or None, not_run_reason or None)]"""
    bs = blocks(path)
    res = []
    i = 0
    while i < len(bs):
        lang, line, body = bs[i]
        if lang == 'sql':
            expected = None
            j = i + 1
            while j < len(bs) and bs[j][0] == 'prose' and bs[j][2][0].strip() == '':
                j += 1
            if j < len(bs) and bs[j][0] == 'text':
                expected = bs[j][2]
            first = next((l for l in body if l.strip()), '')
            m = NOT_RUN.match(first)
            res.append((line, body, expected, m.group(1).strip() if m else None))
        i += 1
    return res


def norm(lines):
    lines = [l.rstrip() for l in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def psql(db, sql):
    env = dict(os.environ, PGOPTIONS='')
    return subprocess.run(['psql', '-X', '-q', '-U', 'postgres', '-d', db, '-v', 'ON_ERROR_STOP=0'],
                          input=sql, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env).stdout


def roles():
    out = psql('postgres', "\\pset tuples_only on\n\\pset format unaligned\nSELECT rolname FROM pg_roles;\n")
    return set(out.split())


def run_file(path, counts):
    ex = examples(path)
    if not ex:
        return
    db = 'bsperm_doc_' + re.sub(r'[^a-z0-9]+', '_', os.path.basename(path).lower().rsplit('.', 1)[0])
    before = roles()
    psql('postgres', f'DROP DATABASE IF EXISTS {db};\nCREATE DATABASE {db};\n')
    marker = '__bsperm_doc_block_%d__'
    script = ['CREATE EXTENSION bsperm;', '\\echo ' + marker % -1]
    for k, (line, body, expected, reason) in enumerate(ex):
        if reason is None:
            script += body
        script += ['', '\\echo ' + marker % k]
    out = psql(db, '\n'.join(script) + '\n')
    out = PREFIX.sub('', out)
    parts = {}
    rest = out
    for k in [-1] + list(range(len(ex))):
        m = marker % k
        pos = rest.find(m + '\n')
        if pos < 0:
            parts[k] = None
            continue
        parts[k] = rest[:pos]
        rest = rest[pos + len(m) + 1:]
    setup = parts.get(-1)
    if setup is None or setup.strip():
        counts[1] += 1
        print(f'not ok - {path}: CREATE EXTENSION bsperm in a fresh database\n#   {setup!r}')
    for k, (line, body, expected, reason) in enumerate(ex):
        first = next((l.strip() for l in body if l.strip()), '')[:60]
        where = f'{path}:{line}'
        if reason is not None:
            print(f'ok - {where} not run: {reason}  # not counted')
            continue
        got = parts.get(k)
        if got is None:
            counts[1] += 1
            print(f'not ok - {where}: psql stopped before this block ({first})')
            continue
        got_lines = norm(got.split('\n'))
        OUTPUTS[(path, line)] = got_lines
        if PRINT:
            print(f'---- {where} ({first}) psql prints:')
            print('```text\n' + '\n'.join(got_lines) + '\n```')
        if expected is None:
            errs = [l for l in got_lines if re.match(r'^(ERROR|FATAL|PANIC):', l)]
            if errs:
                counts[1] += 1
                print(f'not ok - {where}: ```sql block ({first}) raises an error and shows no ```text output')
                for l in got_lines:
                    print('#   ' + l)
            else:
                counts[0] += 1
                print(f'ok - {where} ({first})')
            continue
        want = norm(expected)
        if got_lines == want:
            counts[0] += 1
            print(f'ok - {where} ({first}) output as shown')
        else:
            counts[1] += 1
            print(f'not ok - {where}: ```sql block ({first}): psql prints other than its ```text block shows')
            for l in difflib.unified_diff(want, got_lines, 'doc shows', 'psql prints', lineterm='', n=2):
                print('#   ' + l)
    psql('postgres', f'DROP DATABASE IF EXISTS {db};\n')
    for r in sorted(roles() - before):
        psql('postgres', f'DROP ROLE IF EXISTS "{r}";\n')


def rewrite(path):
    """Put psql's output after every ```sql block that ran (see --write)."""
    lines = open(path, encoding='utf-8').read().split('\n')
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line.strip()) if line.lstrip().startswith('```') else None
        if not (m and m.group(1).lower() == 'sql'):
            out.append(line)
            i += 1
            continue
        start = i + 2                      # blocks() numbers the first body line
        j = i + 1
        while j < len(lines) and lines[j].strip() != '```':
            j += 1
        out.extend(lines[i:j + 1])
        i = j + 1
        got = OUTPUTS.get((path, start))
        if got is None:
            continue
        # an existing ```text block after blank lines is replaced
        k = i
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k < len(lines) and lines[k].strip() == '```text':
            e = k + 1
            while e < len(lines) and lines[e].strip() != '```':
                e += 1
            i = e + 1
        if got:
            ind = line[:len(line) - len(line.lstrip())]
            out.extend([''] + [(ind + l).rstrip() for l in ['```text'] + got + ['```']])
    open(path, 'w', encoding='utf-8').write('\n'.join(out))


def main():
    top = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
    os.chdir(top)
    global PRINT
    args = sys.argv[1:]
    write = False
    if args and args[0] == '--print':
        PRINT = True
        args = args[1:]
    elif args and args[0] == '--write':
        write = True
        args = args[1:]
    files = args or (['README.md'] + sorted(glob.glob('doc/*.md')))
    counts = [0, 0]
    for f in files:
        run_file(f, counts)
        if write:
            rewrite(f)
    print(f'# suite docs: {counts[0]} passed, {counts[1]} failed')
    return 1 if counts[1] else 0


if __name__ == '__main__':
    sys.exit(main())
