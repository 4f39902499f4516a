/*
 * ISO 3166-1 alpha-2 countries for the locations tab, named by the runtime's ICU data: every
 * two-letter code Intl.DisplayNames knows as a region, minus the ones that are not countries in
 * ISO 3166-1 (exceptional reservations, withdrawn codes, unions, pseudo-locales). XK (Kosovo) is
 * kept: GeoIP databases report it.
 */

const NOT_COUNTRIES = new Set("AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB YD YU ZR ZZ".split(" "));
let cached: { code: string; name: string }[] | undefined;

export function countryList(): { code: string; name: string }[] {
  if (cached) return cached;
  const names = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
  const out: { code: string; name: string }[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (NOT_COUNTRIES.has(code)) continue;
      const name = names.of(code);
      if (name && name !== code) out.push({ code, name });
    }
  }
  cached = out.sort((x, y) => x.name.localeCompare(y.name));
  return cached;
}

export function isKnownCountry(code: string): boolean {
  return countryList().some((c) => c.code === code.toUpperCase());
}
