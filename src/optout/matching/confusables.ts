/**
 * A compact subset of Unicode TR39 confusables.txt: characters from other scripts (Cyrillic, Greek,
 * Armenian, Cherokee, IPA/Latin extensions) that render like Latin letters or digits, mapped to that
 * letter. Fullwidth forms, mathematical alphanumerics, circled and letter-like symbols need no entry:
 * NFKC already folds them before this table is consulted. No npm package ships the TR39 data in a
 * CommonJS-loadable form, so the table is kept here and limited to Latin look-alikes, which is all
 * the matcher needs (registry keys are folded with the same table, so non-Latin aliases still work).
 */
const PAIRS: Array<[string, string]> = [
  // Cyrillic capitals
  ['АВЕЅІЈКМНОРСТХУЬԚԜ', 'ABESIJKMHOPCTXYbQW'],
  // Cyrillic small
  ['аеіјорсхуѕԁһӏԛԝьгпѵҽӕ', 'aeijopcxysdhlqwbrnvea'],
  // Greek capitals
  ['ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϜ', 'ABEZHIKMNOPTYXF'],
  // Greek small
  ['αβγεικνορτυχωϲϳ', 'abyeikvoptuxwcj'],
  // Armenian
  ['ոսօհզցւ', 'nuohqgi'],
  // Cherokee capitals that look like Latin capitals
  ['ᎪᏴᏟᎬᎻᎫᏦᏞᎷᎾᏢᏚᎢᏙᏔᎳᏃ', 'ABCEHJKLMOPSTVWWZ'],
  // Latin extensions and IPA look-alikes
  ['ıȷɑɡǀƖɩɪʟɴʀꜱʏᴀᴄᴅᴇᴊᴋᴍᴏᴘᴛᴜᴠᴡᴢøØđĐħŀłŁƒ', 'ijagliiilnrsyacdejkmoptuvwzoOdDhllLf'],
  // digit look-alikes
  ['Оᴑ০०٥', 'OoOoo'],
];

export const CONFUSABLE_MAP: ReadonlyMap<string, string> = (() => {
  const m = new Map<string, string>();
  for (const [from, to] of PAIRS) {
    const f = Array.from(from);
    const t = Array.from(to);
    if (f.length !== t.length) throw new Error(`confusables table row misaligned: ${from}`);
    f.forEach((c, i) => m.set(c, t[i]));
  }
  return m;
})();
