// Activation of the extension, with `vscode` and the language client
// replaced by recorders: the extension starts `<drop.server.path> lsp` over
// stdio for `drop` documents, registers its restart command, survives a
// server that cannot start, and stops the client on deactivation.
"use strict";

const assert = require("node:assert");
const Module = require("node:module");

const events = [];
const warnings = [];
let failStart = false;

const fakeVscode = {
  workspace: {
    getConfiguration: (section) => {
      assert.strictEqual(section, "drop");
      return { get: (key) => (key === "server.path" ? "/opt/dropc/bin/dropc" : undefined) };
    },
  },
  commands: { registerCommand: (name) => ({ name, dispose() {} }) },
  window: { showWarningMessage: (message) => warnings.push(message) },
};

class FakeClient {
  constructor(id, name, server, client) {
    events.push({ id, name, server, client });
  }
  async start() {
    events.push("start");
    if (failStart) throw new Error("spawn ENOENT");
  }
  async stop() {
    events.push("stop");
  }
  async restart() {
    events.push("restart");
  }
}
const fakeClientModule = { LanguageClient: FakeClient, TransportKind: { stdio: 0 } };

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "vscode") return fakeVscode;
  if (request === "vscode-languageclient/node") return fakeClientModule;
  return load.call(this, request, ...rest);
};

const extension = require("../extension.js");

(async () => {
  const context = { subscriptions: [] };
  await extension.activate(context);
  const created = events[0];
  assert.strictEqual(created.id, "drop");
  assert.deepStrictEqual(created.server, { command: "/opt/dropc/bin/dropc", args: ["lsp"], transport: 0 });
  assert.deepStrictEqual(
    created.client.documentSelector.map((s) => s.language),
    ["drop", "drop"],
  );
  assert.strictEqual(events[1], "start");
  assert.deepStrictEqual(context.subscriptions.map((s) => s.name), ["drop.restartServer"]);
  assert.deepStrictEqual(warnings, []);
  await extension.deactivate();
  assert.strictEqual(events[2], "stop");

  // A missing dropc: a warning naming the command, no exception.
  failStart = true;
  await extension.activate({ subscriptions: [] });
  assert.strictEqual(warnings.length, 1);
  assert.match(warnings[0], /\/opt\/dropc\/bin\/dropc lsp/);

  // The manifest activates on `drop` documents and runs extension.js.
  const manifest = require("../package.json");
  assert.strictEqual(manifest.main, "./extension.js");
  assert.ok(manifest.activationEvents.includes("onLanguage:drop"));
  assert.ok(manifest.contributes.configuration.properties["drop.server.path"]);
  console.log("extension.test.js: activation tests passed");
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
