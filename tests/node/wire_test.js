'use strict';
// Wire-level interop test: a real fieldsyncd driven by Node.js @grpc/grpc-js + @grpc/proto-loader.
//
//   FIELDSYNCD=.../fieldsyncd FIELDSYNC_FORMS_DIR=.../deploy/forms node --test wire_test.js
//
// Dependencies: `npm ci --prefix tests/node`. A missing prerequisite fails the run (never skips).

const { describe, it, before, after, test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const PROTO_DIR = path.join(__dirname, '../../proto');
const CALL_DEADLINE_MS = 10000;
const TEST_TIMEOUT_MS = 30000;
const SERVER_START_TIMEOUT_MS = 20000;
const SERVER_STOP_TIMEOUT_MS = 5000;

function prerequisiteProblems() {
  const problems = [];
  if (!fs.existsSync(path.join(__dirname, 'node_modules', '@grpc', 'grpc-js')) ||
      !fs.existsSync(path.join(__dirname, 'node_modules', '@grpc', 'proto-loader'))) {
    problems.push('node_modules missing: run `npm ci --prefix tests/node` first');
  }
  const bin = process.env.FIELDSYNCD;
  if (!bin) problems.push('env FIELDSYNCD (path to the fieldsyncd binary) is not set');
  else if (!fs.existsSync(bin)) problems.push(`FIELDSYNCD=${bin} does not exist`);
  const forms = process.env.FIELDSYNC_FORMS_DIR;
  if (!forms) problems.push('env FIELDSYNC_FORMS_DIR (deploy/forms) is not set');
  else if (!fs.existsSync(forms)) problems.push(`FIELDSYNC_FORMS_DIR=${forms} does not exist`);
  return problems;
}

const problems = prerequisiteProblems();
if (problems.length > 0) {
  test('prerequisites', () => {
    assert.fail(problems.join('; '));
  });
} else {
  defineSuite();
}

function defineSuite() {
  const grpc = require('@grpc/grpc-js');
  const protoLoader = require('@grpc/proto-loader');

  const LOADER_OPTIONS = {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  };

  function loadPackage(files, includeDirs) {
    const def = protoLoader.loadSync(files, { ...LOADER_OPTIONS, includeDirs });
    return grpc.loadPackageDefinition(def);
  }

  const fieldsyncPkg = loadPackage(
    ['fieldsync/v1/sync.proto', 'fieldsync/v1/forms.proto'], [PROTO_DIR]);
  const systemHealth = '/usr/share/grpc-proto/grpc/health/v1/health.proto';
  const healthPkg = fs.existsSync(systemHealth)
    ? loadPackage([systemHealth], [path.dirname(systemHealth)])
    : loadPackage(['grpc/health/v1/health.proto'], [PROTO_DIR]);
  const reflectionPkg = loadPackage(['reflection.proto'], [__dirname]);

  const bin = process.env.FIELDSYNCD;
  const formsDir = process.env.FIELDSYNC_FORMS_DIR;

  // ---- helpers -----------------------------------------------------------------------------

  const deadline = () => Date.now() + CALL_DEADLINE_MS;

  function auth(token) {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set('authorization', `Bearer ${token}`);
    return md;
  }

  function unary(client, method, request, md) {
    return new Promise((resolve, reject) => {
      client[method](request, md, { deadline: deadline() }, (err, resp) => {
        if (err) reject(err);
        else resolve(resp);
      });
    });
  }

  // Server-streaming: collects every message until the stream ends.
  function collect(call) {
    return new Promise((resolve, reject) => {
      const msgs = [];
      call.on('data', (m) => msgs.push(m));
      call.on('error', reject);
      call.on('end', () => resolve(msgs));
    });
  }

  // Push: one batch on a fresh bidi stream; resolves with the receipts of all responses.
  function pushBatch(client, token, mutations) {
    const call = client.Push(auth(token), { deadline: deadline() });
    const done = collect(call);
    call.on('data', () => call.end()); // one batch, one response: half-close after it
    call.write({ mutations, report: { app_version: 'node-wire-test' } });
    return done.then((resps) => resps.flatMap((r) => r.receipts));
  }

  async function pull(client, token, cursor) {
    const call = client.Pull({ cursor: cursor || Buffer.alloc(0) }, auth(token),
      { deadline: deadline() });
    const pages = await collect(call);
    assert.ok(pages.length >= 1, 'Pull returned no page');
    return {
      records: pages.flatMap((p) => p.records),
      nextCursor: pages[pages.length - 1].next_cursor,
      pages,
    };
  }

  function expectCode(promise, code) {
    return assert.rejects(promise, (err) => {
      assert.equal(err.code, code, `expected gRPC code ${code}, got ${err.code}: ${err.details}`);
      return true;
    });
  }

  let hlcCounter = 0;
  function mutation(deviceId, deviceSeq, recordId, fields) {
    return {
      device_seq: deviceSeq,
      record_id: recordId,
      form_id: 'displacement_household',
      form_version: 1,
      base_version: 0,
      op: 'UPSERT',
      fields,
      hlc: { physical_ms: String(1795000000000 + hlcCounter++), logical: 0, device_id: deviceId },
    };
  }

  function household(governorate, size) {
    return {
      governorate: { text: governorate },
      district: { text: 'Mosul' },
      visit_date: { text: '2026-11-20' },
      household_size: { integer: size },
    };
  }

  // ---- server lifecycle ----------------------------------------------------------------------

  let dataDir;
  let server;
  let serverLog = '';
  let serverExit = null;
  const tokens = {};
  let target;
  const clients = {};

  function deviceAdd(args) {
    const out = execFileSync(bin, ['device', 'add', '--data-dir', dataDir, ...args],
      { encoding: 'utf8', timeout: 15000 });
    const token = out.trim().split('\n').pop().trim();
    assert.ok(token.length > 0, `device add ${args.join(' ')} printed no token`);
    return token;
  }

  async function waitForPort(portFile) {
    const until = Date.now() + SERVER_START_TIMEOUT_MS;
    while (Date.now() < until) {
      if (serverExit) {
        throw new Error(`fieldsyncd exited early (${serverExit}):\n${serverLog}`);
      }
      try {
        const text = fs.readFileSync(portFile, 'utf8').trim();
        if (/^\d+$/.test(text) && Number(text) > 0) return Number(text);
      } catch (_) { /* not written yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`fieldsyncd wrote no port file within ${SERVER_START_TIMEOUT_MS} ms:\n${serverLog}`);
  }

  function stopServer() {
    if (!server || serverExit) return Promise.resolve();
    return new Promise((resolve) => {
      const killer = setTimeout(() => {
        if (!serverExit) server.kill('SIGKILL');
      }, SERVER_STOP_TIMEOUT_MS);
      server.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      server.kill('SIGTERM');
    });
  }

  describe('fieldsyncd over @grpc/grpc-js', { timeout: 110000 }, () => {
    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldsync-node-'));
      tokens.tab = deviceAdd(['--id', 'node-tab', '--role', 'enumerator',
        '--scope', 'governorate=Ninewa']);
      tokens.admin = deviceAdd(['--id', 'node-admin', '--role', 'admin', '--all-scopes']);
      tokens.anbar = deviceAdd(['--id', 'node-anbar', '--role', 'enumerator',
        '--scope', 'governorate=Anbar']);

      const portFile = `${dataDir}.port`;
      // Every listener on port 0, the admin HTTP port too: a developer's run-dev.sh holds the
      // default admin port.
      server = spawn(bin, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0',
        '--admin-listen', '127.0.0.1:0', '--dev-plaintext', '--forms-dir', formsDir,
        '--port-file', portFile, '--reflection'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
      const log = (chunk) => { serverLog += chunk.toString(); };
      server.stdout.on('data', log);
      server.stderr.on('data', log);
      server.on('exit', (code, signal) => { serverExit = `code=${code} signal=${signal}`; });

      const port = await waitForPort(portFile);
      target = `127.0.0.1:${port}`;
      const creds = grpc.credentials.createInsecure();
      clients.sync = new fieldsyncPkg.fieldsync.v1.SyncService(target, creds);
      clients.forms = new fieldsyncPkg.fieldsync.v1.FormService(target, creds);
      clients.health = new healthPkg.grpc.health.v1.Health(target, creds);
      clients.reflection = new reflectionPkg.grpc.reflection.v1alpha.ServerReflection(target, creds);
    });

    after(async () => {
      for (const c of Object.values(clients)) c.close();
      await stopServer();
      if (dataDir) {
        fs.rmSync(dataDir, { recursive: true, force: true });
        fs.rmSync(`${dataDir}.port`, { force: true });
      }
    });

    const ninewaRecords = [
      'a0000000-0000-4000-8000-000000000001',
      'a0000000-0000-4000-8000-000000000002',
      'a0000000-0000-4000-8000-000000000003',
    ];
    const invalidRecord = 'a0000000-0000-4000-8000-000000000004';
    const firstBatch = [
      ...ninewaRecords.map((id, i) => mutation('node-tab', i + 1, id, household('Ninewa', 5))),
      mutation('node-tab', 4, invalidRecord, household('Ninewa', 0)),
    ];
    let firstReceipts;

    it('ListForms returns the shipped forms', { timeout: TEST_TIMEOUT_MS }, async () => {
      const resp = await unary(clients.forms, 'ListForms', {}, auth(tokens.tab));
      const ids = resp.forms.map((f) => f.form_id);
      assert.ok(ids.includes('border_crossing'), `forms: ${ids}`);
      assert.ok(ids.includes('displacement_household'), `forms: ${ids}`);
      const dh = resp.forms.find((f) => f.form_id === 'displacement_household');
      assert.equal(dh.version, 1);
      const size = dh.fields.find((f) => f.name === 'household_size');
      assert.equal(size.type, 'INT');
      assert.equal(size.min, 1);
    });

    it('Push: 3 creates APPLIED, an invalid one REJECTED', { timeout: TEST_TIMEOUT_MS }, async () => {
      const receipts = await pushBatch(clients.sync, tokens.tab, firstBatch);
      assert.equal(receipts.length, 4, JSON.stringify(receipts));
      receipts.forEach((r, i) => {
        assert.equal(r.device_seq, String(i + 1));
        assert.equal(r.record_id, firstBatch[i].record_id);
        assert.match(r.content_hash, /^[0-9a-f]{64}$/);
      });
      const seqs = new Set();
      for (const r of receipts.slice(0, 3)) {
        assert.equal(r.outcome, 'APPLIED', JSON.stringify(r));
        assert.equal(r.record_version, '1');
        assert.notEqual(r.seq, '0');
        seqs.add(r.seq);
      }
      assert.equal(seqs.size, 3, 'each applied change has its own seq');
      const bad = receipts[3];
      assert.equal(bad.outcome, 'REJECTED', JSON.stringify(bad));
      assert.equal(bad.record_version, '0');
      assert.equal(bad.seq, '0');
      assert.ok(bad.errors.some((e) => e.field === 'household_size'), JSON.stringify(bad.errors));
      firstReceipts = receipts;
    });

    it('Push retransmission: all DUPLICATE, nothing applied twice', { timeout: TEST_TIMEOUT_MS }, async () => {
      assert.ok(firstReceipts, 'depends on the first Push');
      const receipts = await pushBatch(clients.sync, tokens.tab, firstBatch);
      assert.equal(receipts.length, 4, JSON.stringify(receipts));
      receipts.forEach((r, i) => {
        const first = firstReceipts[i];
        assert.equal(r.device_seq, String(i + 1));
        assert.equal(r.outcome, 'DUPLICATE', JSON.stringify(r));
        assert.equal(r.original_outcome, first.outcome);
        assert.equal(r.seq, first.seq);
        assert.equal(r.record_version, first.record_version);
        assert.equal(r.content_hash, first.content_hash);
      });
      const { records } = await pull(clients.sync, tokens.tab);
      assert.equal(records.length, 3, JSON.stringify(records));
      for (const rec of records) assert.equal(rec.version, '1');
    });

    it('Push with a device_seq gap: OUT_OF_ORDER', { timeout: TEST_TIMEOUT_MS }, async () => {
      const receipts = await pushBatch(clients.sync, tokens.tab, [
        mutation('node-tab', 10, 'a0000000-0000-4000-8000-000000000010', household('Ninewa', 2)),
      ]);
      assert.equal(receipts.length, 1, JSON.stringify(receipts));
      assert.equal(receipts[0].outcome, 'OUT_OF_ORDER', JSON.stringify(receipts[0]));
      assert.equal(receipts[0].expected_device_seq, '5');
      assert.equal(receipts[0].seq, '0');
    });

    it('Pull: snapshot then empty delta from next_cursor', { timeout: TEST_TIMEOUT_MS }, async () => {
      const first = await pull(clients.sync, tokens.tab);
      const byId = new Map(first.records.map((r) => [r.record_id, r]));
      assert.deepEqual([...byId.keys()].sort(), [...ninewaRecords].sort());
      for (const id of ninewaRecords) {
        const rec = byId.get(id);
        assert.equal(rec.form_id, 'displacement_household');
        assert.equal(rec.form_version, 1);
        assert.equal(rec.version, '1');
        assert.notEqual(rec.seq, '0');
        assert.equal(rec.deleted, false);
        assert.equal(rec.last_writer_device, 'node-tab');
        assert.equal(rec.fields.governorate.text, 'Ninewa');
        assert.equal(rec.fields.district.text, 'Mosul');
        assert.equal(rec.fields.visit_date.text, '2026-11-20');
        assert.equal(rec.fields.household_size.integer, '5');
      }
      assert.ok(Buffer.isBuffer(first.nextCursor) && first.nextCursor.length > 0,
        'Pull returned a next_cursor');
      const second = await pull(clients.sync, tokens.tab, first.nextCursor);
      assert.equal(second.records.length, 0, JSON.stringify(second.records));
      assert.equal(second.pages[second.pages.length - 1].has_more, false);
    });

    it('scopes: Anbar device sees no Ninewa record and cannot write one', { timeout: TEST_TIMEOUT_MS }, async () => {
      const { records } = await pull(clients.sync, tokens.anbar);
      const ids = records.map((r) => r.record_id);
      for (const id of ninewaRecords) assert.ok(!ids.includes(id), `Anbar saw ${id}`);
      assert.ok(records.every((r) => r.fields.governorate?.text !== 'Ninewa'));

      const receipts = await pushBatch(clients.sync, tokens.anbar, [
        mutation('node-anbar', 1, 'b0000000-0000-4000-8000-000000000001', household('Ninewa', 3)),
      ]);
      assert.equal(receipts.length, 1, JSON.stringify(receipts));
      assert.equal(receipts[0].outcome, 'REJECTED', JSON.stringify(receipts[0]));
      assert.equal(receipts[0].seq, '0');

      // ... and the Ninewa device does not get it either.
      const tab = await pull(clients.sync, tokens.tab);
      assert.equal(tab.records.length, 3);
    });

    it('Push and Pull a household with roster members (child records)', { timeout: TEST_TIMEOUT_MS }, async () => {
      const hh = 'd0000000-0000-4000-8000-000000000001';
      const members = ['d0000000-0000-4000-8000-000000000011', 'd0000000-0000-4000-8000-000000000012'];
      const orphan = 'd0000000-0000-4000-8000-000000000013';
      const dtm = (seq, id, fields) => ({
        ...mutation('node-admin', seq, id, fields),
        form_id: 'dtm_household',
        form_version: 2026120201,
      });
      const root = dtm(1, hh, {
        visit_date: { text: '2026-11-20' },
        governorate: { text: 'ninewa' },
        district: { text: 'mosul' },
        consent: { text: 'yes' },
        hh_size: { integer: 2 },
        children_under_5: { integer: 0 },
      });
      const member = (seq, id, ordinal, sex, age, relationship) => ({
        ...dtm(seq, id, { sex: { text: sex }, age: { integer: age },
          relationship: { text: relationship } }),
        parent_record_id: hh,
        repeat: 'members',
        ordinal,
      });
      const receipts = await pushBatch(clients.sync, tokens.admin, [
        root,
        member(2, members[0], 1, 'female', 41, 'head'),
        member(3, members[1], 2, 'male', 9, 'child'),
        { ...member(4, orphan, 1, 'male', 3, 'child'), parent_record_id: 'no-such-household' },
      ]);
      assert.equal(receipts.length, 4, JSON.stringify(receipts));
      for (const r of receipts.slice(0, 3)) assert.equal(r.outcome, 'APPLIED', JSON.stringify(r));
      assert.equal(receipts[3].outcome, 'REJECTED', JSON.stringify(receipts[3]));
      assert.ok(receipts[3].errors.some((e) => e.field === 'parent_record_id'),
        JSON.stringify(receipts[3].errors));

      const { records } = await pull(clients.sync, tokens.admin);
      const byId = new Map(records.map((r) => [r.record_id, r]));
      assert.equal(byId.get(hh).parent_record_id, '');
      assert.ok(!byId.has(orphan), 'a rejected child is not stored');
      members.forEach((id, i) => {
        const m = byId.get(id);
        assert.ok(m, `member ${id} pulled`);
        assert.equal(m.form_id, 'dtm_household');
        assert.equal(m.parent_record_id, hh);
        assert.equal(m.root_record_id, hh);
        assert.equal(m.repeat, 'members');
        assert.equal(m.ordinal, i + 1);
        assert.equal(m.fields.relationship.text, i === 0 ? 'head' : 'child');
      });
    });

    it('no token / bad token: UNAUTHENTICATED', { timeout: TEST_TIMEOUT_MS }, async () => {
      const U = grpc.status.UNAUTHENTICATED;
      assert.equal(U, 16);
      await expectCode(unary(clients.forms, 'ListForms', {}, auth()), U);
      await expectCode(unary(clients.forms, 'ListForms', {}, auth('fs_not-a-real-token')), U);
      await expectCode(unary(clients.sync, 'ListReceipts', { since_device_seq: 1 }, auth()), U);
      await expectCode(pull(clients.sync, 'fs_not-a-real-token'), U);
      await expectCode(pushBatch(clients.sync, undefined, [
        mutation('node-tab', 5, 'c0000000-0000-4000-8000-000000000001', household('Ninewa', 1)),
      ]), U);
    });

    it('ListReceipts since 1: receipts 1..4, acked 4', { timeout: TEST_TIMEOUT_MS }, async () => {
      const resp = await unary(clients.sync, 'ListReceipts', { since_device_seq: 1 }, auth(tokens.tab));
      assert.equal(resp.acked_device_seq, '4');
      assert.deepEqual(resp.receipts.map((r) => r.device_seq), ['1', '2', '3', '4']);
      resp.receipts.forEach((r, i) => {
        assert.equal(r.record_id, firstBatch[i].record_id);
        assert.equal(r.outcome, firstReceipts[i].outcome);
        assert.equal(r.seq, firstReceipts[i].seq);
      });
    });

    it('grpc.health.v1.Health/Check: SERVING', { timeout: TEST_TIMEOUT_MS }, async () => {
      const resp = await unary(clients.health, 'Check', { service: '' }, new grpc.Metadata());
      assert.equal(resp.status, 'SERVING');
    });

    it('server reflection lists the services', { timeout: TEST_TIMEOUT_MS }, async () => {
      const call = clients.reflection.ServerReflectionInfo({ deadline: deadline() });
      const done = collect(call);
      call.on('data', () => call.end());
      call.write({ host: '', list_services: '' });
      const resps = await done;
      assert.equal(resps.length, 1, JSON.stringify(resps));
      assert.equal(resps[0].message_response, 'list_services_response', JSON.stringify(resps[0]));
      const names = resps[0].list_services_response.service.map((s) => s.name);
      for (const svc of ['fieldsync.v1.SyncService', 'fieldsync.v1.FormService', 'grpc.health.v1.Health']) {
        assert.ok(names.includes(svc), `reflection services: ${names}`);
      }
    });
  });
}
