// The Drop extension: highlighting comes from the TextMate grammar
// (syntaxes/drop.tmLanguage.json); everything else (diagnostics as you type,
// hover, completion, go to definition, references, rename, outline,
// formatting) from `dropc lsp`, the language server built into dropc.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** The server command: the `drop.server.path` setting, else `dropc` on PATH. */
function serverOptions(configuration) {
  const command = configuration.get("server.path") || "dropc";
  return { command, args: ["lsp"], transport: TransportKind.stdio };
}

async function activate(context) {
  const configuration = vscode.workspace.getConfiguration("drop");
  client = new LanguageClient(
    "drop",
    "Drop (dropc lsp)",
    serverOptions(configuration),
    {
      documentSelector: [
        { scheme: "file", language: "drop" },
        { scheme: "untitled", language: "drop" },
      ],
    },
  );
  context.subscriptions.push(
    vscode.commands.registerCommand("drop.restartServer", async () => {
      if (client) {
        await client.restart();
      }
    }),
  );
  try {
    await client.start();
  } catch (error) {
    vscode.window.showWarningMessage(
      `Drop: cannot start \`${serverOptions(configuration).command} lsp\` (${error.message || error}). ` +
        "Install dropc (`cargo install --path .` in its repository) or set `drop.server.path`. " +
        "Highlighting works without it.",
    );
  }
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate, serverOptions };
