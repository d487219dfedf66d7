// Checks a ProgSnap2 dataset against the spec's required files, columns, types and ID consistency. Returns
// the problems found (empty when the dataset conforms). Reads the whole MainTable: for tests and spot checks.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseCsv } from './csv.ts';

const EVENT_TYPES = new Set([
  'Session.Start', 'Session.End', 'Project.Open', 'Project.Close', 'File.Create', 'File.Delete', 'File.Open', 'File.Close', 'File.Focus',
  'File.Save', 'File.Rename', 'File.Copy', 'File.Edit', 'File.CopyText', 'Compile', 'Compile.Error', 'Compile.Warning', 'Submit', 'Run.Program',
  'Debug.Program', 'Run.Test', 'Debug.Test', 'Resource.View', 'Intervention',
]);
const SPEC_COLUMNS = new Set([
  'EventType', 'EventID', 'SubjectID', 'ToolInstances', 'CodeStateID', 'Order', 'ClientTimestamp', 'ClientTimezone', 'ServerTimestamp', 'ServerTimezone',
  'CourseID', 'CourseSectionID', 'TermID', 'AssignmentID', 'AssignmentIsGraded', 'ProblemID', 'ProblemIsGraded', 'Attempt', 'ExperimentalCondition', 'TeamID',
  'LoggingErrorID', 'ParentEventID', 'SessionID', 'ProjectID', 'ResourceID', 'CodeStateSection', 'DestinationCodeStateSection', 'EventInitiator', 'EditType',
  'CompileResult', 'CompileMessageType', 'CompileMessageData', 'SourceLocation', 'ExecutionID', 'ExecutionResult', 'Score', 'ProgramInput', 'ProgramOutput',
  'ProgramErrorOutput', 'InterventionCategory', 'InterventionType', 'InterventionMessage', 'IsFabricatedEvent',
]);
const REQUIRED = ['EventType', 'EventID', 'SubjectID', 'ToolInstances', 'CodeStateID'];
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?$/;
const TIMEZONE = /^[+-]\d{4}$/;
const CODE_STATE_ID = /^[A-Za-z0-9_\-/]+$/;
const ENUMS: Record<string, Set<string>> = {
  CompileResult: new Set(['Success', 'Warning', 'Error']),
  ExecutionResult: new Set(['Success', 'Timeout', 'Error', 'TestFailed']),
};

export function validateProgsnap2(dir: string): string[] {
  const problems: string[] = [];
  for (const f of ['MainTable.csv', 'DatasetMetadata.csv', 'README.txt']) if (!existsSync(path.join(dir, f))) problems.push(`missing ${f}`);
  if (problems.length) return problems;
  if (!readFileSync(path.join(dir, 'README.txt'), 'utf8').match(/contact/i)) problems.push('README.txt names no contact');

  const meta = parseCsv(readFileSync(path.join(dir, 'DatasetMetadata.csv'), 'utf8'));
  if (meta[0]?.join(',') !== 'Property,Value') problems.push('DatasetMetadata.csv header is not Property,Value');
  const props = new Map(meta.slice(1).map((r) => [r[0]!, r[1] ?? '']));
  if (!props.get('Version')) problems.push('DatasetMetadata: no Version');
  const rep = props.get('CodeStateRepresentation') ?? 'Table';
  if (!['Table', 'Directory', 'Git'].includes(rep)) problems.push(`DatasetMetadata: CodeStateRepresentation ${rep}`);
  const scope = props.get('EventOrderScope') ?? 'None';
  if (!['Global', 'Restricted', 'None'].includes(scope)) problems.push(`DatasetMetadata: EventOrderScope ${scope}`);
  if (scope === 'Restricted' && !props.get('EventOrderScopeColumns')) problems.push('DatasetMetadata: Restricted scope without EventOrderScopeColumns');

  const table = parseCsv(readFileSync(path.join(dir, 'MainTable.csv'), 'utf8'));
  const header = table[0] ?? [];
  for (const c of REQUIRED) if (!header.includes(c)) problems.push(`MainTable: missing required column ${c}`);
  for (const c of header) if (!SPEC_COLUMNS.has(c) && !c.startsWith('X-')) problems.push(`MainTable: column ${c} is neither in the spec nor X-`);
  if (new Set(header).size !== header.length) problems.push('MainTable: duplicate column names');
  const ids = new Set<string>();
  const compiles = new Set<string>();
  let lastOrder = -Infinity;
  table.slice(1).forEach((cells, i) => {
    const at = `MainTable row ${i + 2}`;
    if (cells.length !== header.length) return problems.push(`${at}: ${cells.length} fields, header has ${header.length}`);
    const r = Object.fromEntries(header.map((h, j) => [h, cells[j]!])) as Record<string, string>;
    const type = r.EventType!;
    if (!EVENT_TYPES.has(type) && !type.startsWith('X-')) problems.push(`${at}: EventType ${type}`);
    if (!r.EventID || r.EventID.length > 1000) problems.push(`${at}: bad EventID`);
    else if (ids.has(r.EventID)) problems.push(`${at}: duplicate EventID ${r.EventID}`);
    ids.add(r.EventID!);
    if (!r.SubjectID) problems.push(`${at}: empty SubjectID (use UNKNOWN)`);
    if (!r.ToolInstances) problems.push(`${at}: empty ToolInstances`);
    if (!r.CodeStateID || !CODE_STATE_ID.test(r.CodeStateID)) problems.push(`${at}: bad CodeStateID "${r.CodeStateID}"`);
    else if (rep === 'Directory' && !existsSync(path.join(dir, 'CodeStates', r.CodeStateID))) problems.push(`${at}: CodeStates/${r.CodeStateID} does not exist`);
    if (r.Order !== undefined && r.Order !== '') {
      const o = Number(r.Order);
      if (!Number.isInteger(o)) problems.push(`${at}: Order ${r.Order} is not an integer`);
      else if (scope === 'Global' && o <= lastOrder) problems.push(`${at}: Order ${o} does not increase`);
      lastOrder = o;
    }
    if (r.ServerTimestamp && !TIMESTAMP.test(r.ServerTimestamp)) problems.push(`${at}: ServerTimestamp ${r.ServerTimestamp}`);
    if (r.ServerTimestamp && !TIMEZONE.test(r.ServerTimezone ?? '')) problems.push(`${at}: ServerTimezone ${r.ServerTimezone}`);
    if (type === 'Compile') compiles.add(r.EventID!);
    if (type.startsWith('Compile.')) {
      if (!r.ParentEventID) problems.push(`${at}: ${type} without ParentEventID`);
      else if (!compiles.has(r.ParentEventID)) problems.push(`${at}: ParentEventID ${r.ParentEventID} is not an earlier Compile`);
    }
    for (const [col, values] of Object.entries(ENUMS)) if (r[col] && !values.has(r[col])) problems.push(`${at}: ${col} ${r[col]}`);
    if (type === 'Compile' && !r.CompileResult) problems.push(`${at}: Compile without CompileResult`);
    if (r.SourceLocation && !/^Text:\d+(:\d+)?$/.test(r.SourceLocation)) problems.push(`${at}: SourceLocation ${r.SourceLocation}`);
    for (const col of ['CodeStateSection', 'DestinationCodeStateSection']) {
      const p = r[col];
      if (p && p.split('/').some((s) => s === '' || s === '.' || s === '..')) problems.push(`${at}: ${col} ${p} is not a relative path`);
    }
    return undefined;
  });
  if (rep === 'Directory') {
    const csDir = path.join(dir, 'CodeStates');
    if (!existsSync(csDir) || !statSync(csDir).isDirectory()) problems.push('no CodeStates directory');
    else for (const d of readdirSync(csDir)) if (!CODE_STATE_ID.test(d)) problems.push(`CodeStates/${d}: not a CodeStateID`);
  }
  return problems;
}
