/**
 * XEP-0004 data forms: building forms and results, and reading submitted forms.
 *
 * Why a module: registration (XEP-0077 §4 extensibility) and ad-hoc commands (XEP-0050)
 * both build and read forms; neither owns them.
 *
 * Rules: a submitted form must be of type `submit` (XEP-0004 §3.1) or `cancel`; a field
 * that appears twice, or a FORM_TYPE (XEP-0068) that is not the expected one, is an
 * `InvalidFieldError` that each entry point turns into its own stanza error; no value
 * read by `singleValue` holds CR, LF or NUL.
 */
import xml, { type Element } from '@xmpp/xml';
import { StanzaError } from './errors.js';
import { NS_DATA } from './namespaces.js';


export type FieldType =
  | 'boolean'
  | 'fixed'
  | 'hidden'
  | 'jid-multi'
  | 'jid-single'
  | 'list-multi'
  | 'list-single'
  | 'text-multi'
  | 'text-private'
  | 'text-single';

export interface FormField {
  var: string;
  type: FieldType;
  label?: string;
  desc?: string;
  required?: boolean;
  values?: readonly string[];
  options?: ReadonlyArray<{ label: string; value: string }>;
}

/** XEP-0004 §3.2 `<field/>`. */
export function formField(f: FormField): Element {
  return xml(
    'field',
    { var: f.var, type: f.type, label: f.label },
    f.desc !== undefined ? xml('desc', {}, f.desc) : null,
    f.required ? xml('required') : null,
    ...(f.values ?? []).map((v) => xml('value', {}, v)),
    ...(f.options ?? []).map((o) => xml('option', { label: o.label }, xml('value', {}, o.value))),
  );
}

/** XEP-0004 §3.1 form (`form` or `result`); `formType` becomes the hidden FORM_TYPE (XEP-0068). */
export function dataForm(
  type: 'form' | 'result',
  opts: { title?: string; instructions?: string; formType?: string; fields: readonly FormField[] },
): Element {
  const formType: FormField[] = opts.formType ? [{ var: 'FORM_TYPE', type: 'hidden', values: [opts.formType] }] : [];
  return xml(
    'x',
    { xmlns: NS_DATA, type },
    opts.title !== undefined ? xml('title', {}, opts.title) : null,
    opts.instructions !== undefined ? xml('instructions', {}, opts.instructions) : null,
    ...[...formType, ...opts.fields].map(formField),
  );
}

/** XEP-0004 §3.4 multi-item result: a table with `reported` columns and one `item` per row. */
export function tableForm(
  title: string,
  columns: ReadonlyArray<{ var: string; label: string; type?: FieldType }>,
  rows: ReadonlyArray<Record<string, string>>,
): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'result' },
    xml('title', {}, title),
    xml('reported', {}, ...columns.map((c) => xml('field', { var: c.var, label: c.label, type: c.type ?? 'text-single' }))),
    ...rows.map((row) => xml('item', {}, ...columns.map((c) => xml('field', { var: c.var }, xml('value', {}, row[c.var] ?? ''))))),
  );
}

/** A submitted value that is refused; each entry point turns it into its own stanza error. */
export class InvalidFieldError extends Error {
  override name = 'InvalidFieldError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`field "${field}": ${reason}`);
  }
}

/** The fields of a submitted form, by var (XEP-0004 §3.1 type `submit`). `cancel` gives undefined. */
export function submittedFields(x: Element, formType?: string): Map<string, string[]> | undefined {
  const type = x.attrs.type;
  if (type === 'cancel') return undefined;
  if (type !== 'submit') throw new StanzaError('bad-request', `a submitted form must be of type submit, not ${String(type)}`);
  const fields = new Map<string, string[]>();
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var;
    if (typeof name !== 'string' || name === '') throw new StanzaError('bad-request', 'a submitted field has no var');
    if (fields.has(name)) throw new InvalidFieldError(name, 'appears twice');
    fields.set(name, field.getChildren('value').map((v) => v.text()));
  }
  const got = fields.get('FORM_TYPE')?.[0];
  if (formType !== undefined && got !== undefined && got !== formType) {
    throw new InvalidFieldError('FORM_TYPE', `expected ${formType}`);
  }
  fields.delete('FORM_TYPE');
  return fields;
}

/** The one value of a single-valued field, '' when empty; undefined when the field is absent. */
export function singleValue(fields: ReadonlyMap<string, string[]>, name: string): string | undefined {
  const values = fields.get(name);
  if (values === undefined) return undefined;
  if (values.length > 1) throw new InvalidFieldError(name, 'takes one value');
  const value = values[0] ?? '';
  if (/[\r\n\0]/.test(value)) throw new InvalidFieldError(name, 'must not contain CR, LF or NUL');
  return value;
}

/** XEP-0004 §3.3 boolean: "0"/"false" or "1"/"true"; '' means "back to the default". */
export function parseBoolean(name: string, value: string): boolean | undefined {
  if (value === '') return undefined;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new InvalidFieldError(name, 'must be true or false');
}
