'use strict';
// Fixed criteria that every run evaluates besides the random ones:
//  * the rule-evaluation table of spec §8.2 (T01–T50, U1–U5, R1, S1, S2), with
//    the answers the spec recorded for the fixture entities of §8.1 (which the
//    generated catalog contains): "apply" = Backstage apply(), "sql" = the
//    catalog SQL path (and so bsperm);
//  * invalid documents worth pinning: root-level non-objects, the lazy
//    validation example W17, the ambiguous nodes of §5.6.

const RT = 'catalog-entity';
const F = {
  C: 'component:default/svc-a', G: 'group:default/team-a', U: 'user:default/alice', A: 'api:default/api-x',
  X: 'component:default/uni', S: 'component:default/soh',
  // §8.1 X also carries {"type":"OwnedBy","targetRef":"group:default/odd"}; next to the ownedBy that
  // its spec.owner yields the stitcher would refuse it, so this owner-less entity carries it instead
  O: 'location:default/odd-owned',
};
const leaf = (rule, params) => ({ rule, resourceType: RT, params });
const x230 = 'x'.repeat(230);
const longAnn = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(50)}/flag`;

// [id, criteria, apply() ALLOW set, SQL path set, fixtures in scope]
const T = 'CGUA';
const rows = [
  ['T01', leaf('IS_ENTITY_OWNER', { claims: ['group:default/team-a'] }), 'C', 'C', T],
  ['T02', leaf('IS_ENTITY_OWNER', { claims: ['group:default/Team-A'] }), '', 'C', T],
  ['T03', leaf('IS_ENTITY_OWNER', { claims: ['team-a'] }), '', '', T],
  ['T04', leaf('IS_ENTITY_OWNER', { claims: [] }), '', '', T],
  ['T05', leaf('IS_ENTITY_OWNER', { claims: ['user:default/alice'] }), 'A', 'A', T],
  ['T06', leaf('IS_ENTITY_KIND', { kinds: ['COMPONENT'] }), 'C', 'C', T],
  ['T07', leaf('IS_ENTITY_KIND', { kinds: [] }), '', '', T],
  ['T08', leaf('HAS_ANNOTATION', { annotation: 'example.com/flag' }), 'C', 'C', T],
  ['T09', leaf('HAS_ANNOTATION', { annotation: 'example.com/Flag', value: 'yes' }), 'C', 'C', T],
  ['T10', leaf('HAS_ANNOTATION', { annotation: 'example.com/Flag', value: 'Yes' }), 'C', 'C', T],
  ['T11', leaf('HAS_ANNOTATION', { annotation: 'example.com/empty' }), 'C', 'C', T],
  ['T12', leaf('HAS_ANNOTATION', { annotation: 'example.com/empty', value: '' }), 'C', 'C', T],
  ['T13', leaf('HAS_ANNOTATION', { annotation: 'example.com/long' }), 'C', 'C', T],
  ['T14', leaf('HAS_ANNOTATION', { annotation: 'example.com/long', value: `https://example.com/${x230}` }), 'C', '', T],
  ['T15', leaf('HAS_ANNOTATION', { annotation: longAnn }), 'C', '', T],
  ['T16', leaf('HAS_ANNOTATION', { annotation: 'nope' }), '', '', T],
  ['T17', leaf('HAS_ANNOTATION', { annotation: 'x' }), '', '', T],
  ['T18', leaf('HAS_LABEL', { label: 'TIER', value: 'gold' }), 'C', 'C', T],
  ['T19', leaf('HAS_LABEL', { label: 'example.com/blank', value: '' }), 'C', 'C', T],
  ['T20', leaf('HAS_METADATA', { key: 'tags', value: 'JAVA' }), 'C', 'C', T],
  ['T21', leaf('HAS_METADATA', { key: 'tags.java' }), 'C', 'C', T],
  ['T22', leaf('HAS_METADATA', { key: 'tags.Java', value: 'true' }), 'C', 'C', T],
  ['T23', leaf('HAS_METADATA', { key: 'name', value: 'SVC-A' }), 'C', 'C', T],
  ['T24', leaf('HAS_METADATA', { key: 'namespace', value: 'default' }), 'CGUA', 'CGUA', T],
  ['T25', leaf('HAS_METADATA', { key: 'uid' }), 'CGUA', 'CGUA', T],
  ['T26', leaf('HAS_METADATA', { key: 'etag' }), '', '', T],
  ['T27', leaf('HAS_METADATA', { key: 'links.title', value: 'docs' }), 'C', 'C', T],
  ['T28', leaf('HAS_METADATA', { key: 'annotations.example.com/empty' }), 'C', 'C', T],
  ['T29', leaf('HAS_METADATA', { key: 'annotations' }), '', '', T],
  ['T30', leaf('HAS_SPEC', { key: 'replicas', value: '3' }), 'C', 'C', T],
  ['T31', leaf('HAS_SPEC', { key: 'ratio', value: '1.5' }), 'C', 'C', T],
  ['T32', leaf('HAS_SPEC', { key: 'enabled', value: 'TRUE' }), 'C', 'C', T],
  ['T33', leaf('HAS_SPEC', { key: 'nothing' }), 'C', 'C', T],
  ['T34', leaf('HAS_SPEC', { key: 'nothing', value: 'null' }), '', '', T],
  ['T35', leaf('HAS_SPEC', { key: 'emptyStr' }), 'C', 'C', T],
  ['T36', leaf('HAS_SPEC', { key: 'nested' }), '', '', T],
  ['T37', leaf('HAS_SPEC', { key: 'nested.deep.key', value: 'v' }), 'C', 'C', T],
  ['T38', leaf('HAS_SPEC', { key: 'dotted.key', value: 'DK' }), 'C', 'C', T],
  ['T39', leaf('HAS_SPEC', { key: 'list', value: 'b' }), 'C', 'C', T],
  ['T40', leaf('HAS_SPEC', { key: 'list.a' }), 'C', 'C', T],
  ['T41', leaf('HAS_SPEC', { key: 'list.x', value: '1' }), 'C', 'C', T],
  ['T42', leaf('HAS_SPEC', { key: 'camelkey', value: 'CAMEL' }), 'C', 'C', T],
  ['T43', leaf('HAS_SPEC', { key: 'children' }), '', '', T],
  ['T44', leaf('HAS_SPEC', { key: 'owner', value: 'TEAM-A' }), 'C', 'C', T],
  ['T45', leaf('HAS_SPEC', { key: 'big', value: '1e+21' }), 'C', 'C', T],
  ['T46', { not: leaf('IS_ENTITY_KIND', { kinds: ['group'] }) }, 'CUA', 'CUA', T],
  ['T47', { allOf: [leaf('IS_ENTITY_KIND', { kinds: ['component', 'api'] }), { anyOf: [leaf('IS_ENTITY_OWNER', { claims: ['user:default/alice'] }), leaf('HAS_LABEL', { label: 'tier' })] }] }, 'CA', 'CA', T],
  ['T48', { not: leaf('IS_ENTITY_OWNER', { claims: ['group:default/Team-A'] }) }, 'CGUA', 'GUA', T],
  ['T49', leaf('HAS_METADATA', { key: 'title', value: 'service%' }), '', '', T],
  ['T50', leaf('HAS_METADATA', { key: 'relations' }), '', '', T],
  ['U1', leaf('HAS_ANNOTATION', { annotation: 'example.com/city', value: 'i\u0307stanbul' }), 'X', 'X', 'X'],
  ['U2', leaf('HAS_ANNOTATION', { annotation: 'example.com/city', value: 'istanbul' }), '', '', 'X'],
  ['U3', leaf('HAS_ANNOTATION', { annotation: 'example.com/word', value: '\u03bf\u03b4\u03bf\u03c2' }), 'X', 'X', 'X'],
  ['U4', leaf('HAS_ANNOTATION', { annotation: 'example.com/word', value: '\u03bf\u03b4\u03bf\u03c3' }), '', '', 'X'],
  ['U5', leaf('HAS_METADATA', { key: 'annotations.example.com/word', value: '\u039f\u0394\u039f\u03a3' }), 'X', 'X', 'X'],
  ['R1', leaf('IS_ENTITY_OWNER', { claims: ['group:default/odd'] }), '', 'O', 'O'],
  ['S1', leaf('HAS_SPEC', { key: 'k' }), 'S', '', 'S'],
  ['S2', leaf('HAS_ANNOTATION', { annotation: 'example.com/soh' }), 'S', '', 'S'],
];

const refsOf = letters => letters.split('').map(l => F[l]);

function specCases() {
  const valid = rows.map(([id, criteria, apply, sql, scope]) => ({
    id, intent: 'valid', criteria, expect: { scope: refsOf(scope), apply: refsOf(apply), sql: refsOf(sql) },
  }));
  const kind = k => leaf('IS_ENTITY_KIND', { kinds: [k] });
  const invalid = [
    ['root-number', 3], ['root-null', null], ['root-true', true], ['root-string', 'IS_ENTITY_KIND'], ['root-array', [kind('component')]],
    ['root-empty-object', {}],
    ['W17-lazy', { anyOf: [kind('component'), { rule: 'NO_SUCH', resourceType: RT }] }],
    ['W13-claims-string', leaf('IS_ENTITY_OWNER', { claims: 'group:default/team-a' })],
    ['§5.6-leaf-and-anyOf', { ...kind('group'), anyOf: [kind('component')] }],
    ['§5.6-allOf-and-anyOf', { allOf: [kind('group')], anyOf: [kind('component')] }],
    ['params-omitted', { rule: 'HAS_LABEL', resourceType: RT }],
    ['value-null', leaf('HAS_ANNOTATION', { annotation: 'x', value: null })],
    ['value-number', leaf('HAS_SPEC', { key: 'replicas', value: 3 })],
  ].map(([id, criteria]) => ({ id, intent: 'invalid', defect: `fixed:${id}`, criteria }));
  return [...valid, ...invalid];
}

module.exports = { specCases, FIXTURES: F };
