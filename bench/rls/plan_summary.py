# bench/rls/plan_summary.py SHAPE WHO < psql output ending in an EXPLAIN (FORMAT JSON):
# one line with the top node's and the entities scan's estimated and actual rows.
import json, sys
text = sys.stdin.read()
plan = json.loads(text[text.index('[') : text.rindex(']') + 1])[0]['Plan']
nodes, scan = [], None
def walk(p):
    global scan
    nodes.append(p['Node Type'] + (' ' + p['Index Name'] if 'Index Name' in p else ''))
    if scan is None and p.get('Relation Name') == 'entities':
        scan = p
    for c in p.get('Plans', []):
        walk(c)
walk(plan)
loops = lambda p: p.get('Actual Loops', 1) or 1
def rows(p):
    return '%s/%s' % (round(p['Plan Rows']), round(p['Actual Rows'] * loops(p))) if p else '-'
print('%-7s %-6s top %-14s entities scan %-16s %s' % (sys.argv[1], sys.argv[2], rows(plan), rows(scan), ' > '.join(nodes)))
