// Demo helper, installed only into the throwaway VS Code server of `npm run demo`: a `?payload=openFile`
// at startup is resolved before extension editors are registered and lands in the text editor, so
// this closes what opened at startup (welcome page, the file as text) and opens the file named by $KMEMMAP_DEMO_OPEN with the kmemmap.snapshot editor instead, unless
// one is already open (a reload restores it).
const vscode = require('vscode');

exports.activate = async () => {
  try {
    await openDemoFile();
  } catch (e) {
    console.error(`[kmemmap-demo-opener] ${e && e.stack ? e.stack : e}`);
  }
};

async function openDemoFile() {
  const file = process.env.KMEMMAP_DEMO_OPEN;
  if (!file) return;
  const uri = vscode.Uri.file(file);
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
  if (tabs.some((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === 'kmemmap.snapshot')) return;
  // A fresh demo workspace: whatever opened first (welcome walkthrough, the file as text) goes.
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('vscode.openWith', uri, 'kmemmap.snapshot');
}
exports.deactivate = () => {};
