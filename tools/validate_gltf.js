// Validate glTF/GLB files with the Khronos validator; prints one JSON report per file on stdout
// (a JSON list) and exits 1 when any file has errors. Usage: node validate_gltf.js FILE...
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

async function main() {
  const reports = [];
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const bytes = new Uint8Array(fs.readFileSync(file));
    const report = await validator.validateBytes(bytes, {
      uri: path.basename(file),
      maxIssues: 100,
      externalResourceFunction: (uri) => Promise.reject(new Error(`external resource ${uri} not allowed`)),
    });
    report.file = file;
    failed = failed || report.issues.numErrors > 0;
    reports.push(report);
  }
  process.stdout.write(JSON.stringify(reports));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`validate_gltf: ${e}\n`);
  process.exit(2);
});
