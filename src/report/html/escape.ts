// Everything in a report is untrusted text: scenario ids, messages, source lines and stacks come from the
// user's code. These are the only ways it reaches the page.

// Characters HTML parsers drop or rewrite (NUL, other C0 controls but tab and newlines, lone surrogates);
// they carry nothing a reader needs.
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Text for element content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(INVISIBLE, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON to embed in `<script type="application/json">`: with `<`, `>` and `&` written as \u escapes, no
 * `</script>` or `<!--` can end or change the element, and JSON.parse reads back the same value.
 * U+2028 and U+2029 are escaped too, for readers that treat the text as JavaScript.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
