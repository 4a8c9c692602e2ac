// ODK's own XForm engine (@getodk/xforms-engine, the engine of ODK Web Forms, pinned in
// package-lock.json) loads every XForm fieldsyncd generates: the example forms of
// deploy/forms and every spreadsheet of pyxform's test files that converts. A form the engine
// refuses, or whose instance it cannot serialise, fails the test.
//
//   XFORM_DUMP=build/tests/xform/xform_dump FIELDSYNC_FORMS_DIR=deploy/forms \
//   PYXFORM_DIR=tests/xlsform/testdata/pyxform node --test tests/node/xforms_engine_test.mjs
//
// The engine needs a DOM: jsdom (also pinned) provides it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('');
for (const k of ['DOMParser', 'XMLSerializer', 'Node', 'Document', 'Element', 'XPathResult',
                 'NodeFilter', 'XMLDocument', 'Attr', 'Text', 'document', 'window']) {
  globalThis[k] = dom.window[k];
}
// The engine's WebAssembly XPath parser is inlined; its Node loader only reads __dirname.
globalThis.__dirname = path.dirname(new URL(import.meta.url).pathname);
const { createInstance } = await import('@getodk/xforms-engine');

function need(name) {
  const v = process.env[name];
  assert.ok(v && fs.existsSync(v), `env ${name} must name an existing path (got ${v})`);
  return v;
}

// Every generated XForm: name -> XML text.
function generate() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'xforms-'));
  const log = execFileSync(need('XFORM_DUMP'),
                           [out, need('FIELDSYNC_FORMS_DIR'), need('PYXFORM_DIR')],
                           { encoding: 'utf8' });
  const forms = {};
  for (const line of log.split('\n')) {
    if (line.startsWith('ok ')) {
      const name = line.slice(3);
      forms[name] = fs.readFileSync(path.join(out, `${name}.xml`), 'utf8');
    }
  }
  fs.rmSync(out, { recursive: true, force: true });
  return forms;
}

const forms = generate();

test('every example form and every pyxform spreadsheet that converts was generated', () => {
  for (const name of ['border_crossing', 'displacement_household', 'dtm_household',
                      'border_flow_monitoring', 'flat_xlsform_test', 'choice_filter_test',
                      'field_list', 'text_and_integer', 'yes_or_no_question',
                      'extra_columns']) {
    assert.ok(forms[name], `${name} was not generated; got ${Object.keys(forms)}`);
  }
});

for (const [name, xml] of Object.entries(forms)) {
  test(`the engine loads ${name} and serialises its instance`, async () => {
    const instance = await createInstance(xml);
    assert.equal(instance.root.nodeType, 'root');
    assert.ok(instance.root.currentState.children.length > 0);
    const payload = await instance.root.prepareInstancePayload();
    const file = payload.data[0].get('xml_submission_file');
    const submitted = new DOMParser().parseFromString(await file.text(), 'text/xml');
    const root = submitted.documentElement;
    assert.equal(root.nodeName, 'data');
    assert.ok(root.getAttribute('id'));
    const id = root.getElementsByTagName('instanceID')[0];
    assert.match(id.textContent, /^uuid:[0-9a-f-]{36}$/);
  });
}
