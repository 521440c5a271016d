// The translator options as command-line flags, shared by `convert` and `import` (`run` reads them
// through src/config.ts with their environment variables): the `parseArgs` declarations built from the
// option table (src/translate/option-names.ts), and the parsed values turned back into the option texts
// that src/translate/options.ts validates.
import {
  type TranslatorOptionTexts,
  translatorOptionKeys,
  translatorOptionNames,
} from '../translate/options.ts';

/** The translator options' flags, as `parseArgs` options: repeatable ones collect every occurrence. */
export const translatorFlags = Object.fromEntries(
  translatorOptionKeys.map((key) => {
    const names = translatorOptionNames[key];
    return [names.flag, { type: 'string' as const, multiple: names.repeatable }];
  }),
);

/** The texts of the translator flags found in `parseArgs` values, each with the flag it came from. */
export function translatorTextsOf(values: Record<string, unknown>): TranslatorOptionTexts {
  const texts: TranslatorOptionTexts = {};
  for (const key of translatorOptionKeys) {
    const flag = translatorOptionNames[key].flag;
    const given = values[flag];
    const found = typeof given === 'string' ? [given] : Array.isArray(given) ? given.map(String) : [];
    if (found.length > 0) texts[key] = found.map((text) => ({ text, source: `--${flag}` }));
  }
  return texts;
}
