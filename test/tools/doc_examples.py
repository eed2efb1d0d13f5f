#!/usr/bin/env python3
"""Runs the SQL examples of a doc page and compares their output with the page.

    doc_examples.py DOC.md [DOC.md ...]

For each page: a fresh database (UTF8, template0) is created, CREATE EXTENSION
bsperm run in it, then every ```sql block of the page, in order, in ONE psql
session (default aligned output, -X -q: no command tags).  The ```text block
that follows a ```sql block (before the next ```sql block) is the exact output
expected; a ```sql block with no ```text block must print nothing.  Error
lines lose psql's "psql:<stdin>:N: " prefix.  Connects with PGHOST/PGPORT/
PGUSER.  Prints one "ok"/"FAIL" line per page, a diff for each failure, and
exits non-zero if any page failed.
"""
import difflib
import os
import re
import subprocess
import sys

MARK = '--8<-- bsperm doc example %d --8<--'


def blocks(text):
    """[(sql, expected_or_None)] in page order."""
    out = []
    for m in re.finditer(r'^```(sql|text)[^\n]*\n(.*?)^```[ \t]*$', text, re.M | re.S):
        kind, body = m.group(1), m.group(2)
        if kind == 'sql':
            out.append([body, None])
        elif out and out[-1][1] is None:
            out[-1][1] = body
    return out


def psql(db, stdin):
    r = subprocess.run(['psql', '-X', '-q', '-d', db, '-f', '-'], input=stdin, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return re.sub(r'^psql:<stdin>:\d+: ', '', r.stdout, flags=re.M)


def run_page(path):
    with open(path) as f:
        examples = blocks(f.read())
    db = 'bsperm_doc_' + re.sub(r'[^a-z0-9]', '_', os.path.basename(path).lower())
    psql('postgres', f'DROP DATABASE IF EXISTS {db};\nCREATE DATABASE {db} TEMPLATE template0 ENCODING \'UTF8\';\n')
    script = 'CREATE EXTENSION bsperm;\n'
    for i, (sql, _) in enumerate(examples):
        script += f'\\echo {MARK % i}\n{sql}'
    got = psql(db, script).split('\n')
    psql('postgres', f'DROP DATABASE IF EXISTS {db};\n')
    # split the output at the markers
    parts, cur, idx = {}, None, None
    for line in got:
        m = re.fullmatch(re.escape(MARK).replace('%d', r'(\d+)'), line)
        if m:
            idx = int(m.group(1))
            parts[idx] = []
        elif idx is not None:
            parts[idx].append(line)
    failures = []
    for i, (sql, expected) in enumerate(examples):
        have = '\n'.join(parts.get(i, ['(no output: the session stopped)'])).rstrip('\n')
        want = (expected or '').rstrip('\n')
        if have != want:
            diff = '\n'.join(difflib.unified_diff(want.split('\n'), have.split('\n'), 'page', 'psql', lineterm=''))
            failures.append(f'example {i + 1}:\n{sql}{diff}')
    return len(examples), failures


def main():
    bad = 0
    for page in sys.argv[1:]:
        n, failures = run_page(page)
        if failures or n == 0:
            bad += 1
            print(f'FAIL {page}: {len(failures)} of {n} examples differ')
            for f in failures:
                print(f)
        else:
            print(f'ok   {page}: {n} examples')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
