// Nomad reports validation problems as hashicorp/go-multierror values, and clients see their text.
// Validators in this directory return their error list as `string[]`; these helpers reproduce how Go
// code combines such lists, so the final text matches Nomad's byte for byte:
//
// * `multierror.Append(list, err)` flattens: the errors of `err` join `list` (`...errs` in TS).
// * `list = append(list, err)` and `fmt.Errorf("…: %v", err)` nest: the whole text of `err`, header
//   and trailing blank line included, becomes one entry (`nest` below).

/**
 * go-multierror's `ListFormatFunc`, the text of `(*multierror.Error).Error()`:
 * `1 error occurred:\n\t* msg\n\n`, or `N errors occurred:\n\t* a\n\t* b\n\n`.
 */
export function formatMultiError(errors: readonly string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  const points = errors.map((e) => `* ${e}`).join('\n\t');
  return `${errors.length} errors occurred:\n\t${points}\n\n`;
}

/**
 * A nested multierror as one entry of the enclosing list, optionally behind a prefix, as
 * `fmt.Errorf(prefix + "%v", err)` writes it. Returns no entry when `errors` is empty, the way Go
 * code only appends when `err != nil`.
 */
export function nest(errors: readonly string[], prefix = ''): string[] {
  return errors.length === 0 ? [] : [prefix + formatMultiError(errors)];
}

/**
 * Nomad's `MergeMultierrorWarnings`, the `Warnings` text of a register, plan or validate answer:
 * `1 warning:\n\n* msg`, or `N warnings:\n\n* a\n* b`; empty without warnings.
 */
export function formatWarnings(warnings: readonly string[]): string {
  if (warnings.length === 0) return '';
  const head = warnings.length === 1 ? '1 warning:\n' : `${warnings.length} warnings:\n`;
  return head + warnings.map((w) => `\n* ${w.trim()}`).join('');
}
