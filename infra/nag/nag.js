#!/usr/bin/env node
// nag.js runs cdk-nag's AwsSolutions pack on CloudFormation templates
// synthesized by the Go CDK app (the Go binding cdklabs/cdk-nag-go cannot be
// fetched from the Go module proxy here, the npm package can).
//
//   node nag.js TEMPLATE.json...
//
// Each template is loaded into a JS CDK stack with CfnInclude (logical IDs kept)
// and checked with cdk-nag 3's validateScope. Suppressions are written by the Go
// app in each resource's Metadata, in cdk-nag's CloudFormation format:
//
//   "Metadata": {"cdk_nag": {"rules_to_suppress": [{"id": "AwsSolutions-L1", "reason": "..."}]}}
//
// cdk-nag 3 reads acknowledgements from Validations.of(construct).acknowledge,
// not from that Metadata, so this script turns each entry into an acknowledgement
// on the included resource. An id may name one finding ("AwsSolutions-IAM5[Resource::*]")
// or the whole rule ("AwsSolutions-IAM5", which covers all its findings on the resource).
//
// Prints one line per finding (severity, rule, logical ID, the Go app's construct
// path) and exits 1 on any unsuppressed error or warning, or on a suppression
// without a reason or with an id that is not an AwsSolutions rule; exit 2 on usage
// or load errors.
'use strict';

const fs = require('fs');
const path = require('path');
const { App, Stack, Validations } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks } = require('cdk-nag');

const PACK = 'AwsSolutions-';

// suppressionsOf returns the resource's cdk_nag suppressions and the problems
// with them (not a list, an entry without id or reason).
function suppressionsOf(logicalId, resource) {
  const meta = (resource.Metadata || {}).cdk_nag;
  if (meta === undefined) return { rules: [], problems: [] };
  const list = meta.rules_to_suppress;
  if (!Array.isArray(list)) {
    return { rules: [], problems: [`${logicalId}: Metadata.cdk_nag.rules_to_suppress is not a list`] };
  }
  const rules = [];
  const problems = [];
  list.forEach((r, i) => {
    const id = r && typeof r.id === 'string' ? r.id.trim() : '';
    const reason = r && typeof r.reason === 'string' ? r.reason.trim() : '';
    if (!id.startsWith(PACK)) {
      problems.push(`${logicalId}: rules_to_suppress[${i}] id ${JSON.stringify(r && r.id)} is not an ${PACK}* rule`);
    } else if (reason === '') {
      problems.push(`${logicalId}: rules_to_suppress[${i}] (${id}) has no reason`);
    } else {
      rules.push({ id, reason });
    }
  });
  return { rules, problems };
}

// check runs the pack on one template and returns its report lines and counts.
function check(file) {
  const template = JSON.parse(fs.readFileSync(file, 'utf8'));
  const resources = template.Resources || {};
  const app = new App({ outdir: fs.mkdtempSync(path.join(require('os').tmpdir(), 'slkc-nag-')) });
  const stack = new Stack(app, 'Nag');
  const included = new CfnInclude(stack, 'Template', { templateFile: file, preserveLogicalIds: true });

  const lines = [];
  let suppressed = 0;
  let problems = 0;
  const byPath = {};
  for (const [logicalId, res] of Object.entries(resources)) {
    const cfn = included.getResource(logicalId);
    byPath[cfn.node.path] = { logicalId, cdkPath: (res.Metadata || {})['aws:cdk:path'] || '' };
    const s = suppressionsOf(logicalId, res);
    for (const p of s.problems) lines.push(`  [suppression] ${p}`);
    problems += s.problems.length;
    for (const r of s.rules) Validations.of(cfn).acknowledge({ id: r.id, reason: r.reason });
    suppressed += s.rules.length;
  }

  const pack = new AwsSolutionsChecks(undefined, { verbose: true });
  const result = pack.validateScope(stack);
  let errors = 0;
  let warnings = 0;
  for (const v of result.violations) {
    for (const r of v.violatingResources) {
      const where = byPath[r.constructPath] || { logicalId: r.constructPath, cdkPath: '' };
      if (v.severity === 'error') errors++; else warnings++;
      lines.push(`  [${v.severity}] ${v.ruleName} ${where.logicalId}${where.cdkPath ? ' (' + where.cdkPath + ')' : ''}\n      ${v.description}`);
    }
  }
  fs.rmSync(app.outdir, { recursive: true, force: true });
  return { lines, errors, warnings, suppressed, problems, resources: Object.keys(resources).length };
}

function main(argv) {
  if (argv.length === 0) {
    console.error('usage: node nag.js TEMPLATE.json...');
    return 2;
  }
  let failed = false;
  for (const file of argv) {
    let r;
    try {
      r = check(file);
    } catch (err) {
      console.error(`nag: ${file}: ${err && err.stack ? err.stack : err}`);
      return 2;
    }
    const bad = r.errors + r.warnings + r.problems;
    console.log(`nag: ${file}: ${r.resources} resources, ${r.errors} errors, ${r.warnings} warnings, ` +
      `${r.suppressed} suppressions with reasons${r.problems ? `, ${r.problems} bad suppressions` : ''}`);
    for (const l of r.lines) console.log(l);
    if (bad > 0) failed = true;
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
