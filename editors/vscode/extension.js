// Starts `dfulint server` for the files dfulint checks and passes it the user's settings.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function settings() {
  const c = vscode.workspace.getConfiguration("dfulint");
  return {
    board: c.get("board") || undefined,
    sdkVersion: c.get("sdkVersion") || undefined,
    profile: c.get("profile") || undefined,
    debounceMs: c.get("debounceMs"),
  };
}

function activate(context) {
  const command = vscode.workspace.getConfiguration("dfulint").get("path") || ["dfulint"];
  const serverOptions = {
    command: command[0],
    args: [...command.slice(1), "server"],
    transport: TransportKind.stdio,
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", pattern: "**/*.conf" },
      { scheme: "file", pattern: "**/pm_static*.{yml,yaml}" },
      { scheme: "file", pattern: "**/*.{overlay,dts,dtsi}" },
      { scheme: "file", pattern: "**/{sample,testcase}.yaml" },
      { scheme: "file", pattern: "**/CMakeLists.txt" },
    ],
    initializationOptions: settings(),
    synchronize: { configurationSection: "dfulint" },
  };
  client = new LanguageClient("dfulint", "dfulint", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("dfulint") && client) {
        client.sendNotification("workspace/didChangeConfiguration", { settings: { dfulint: settings() } });
      }
    })
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
