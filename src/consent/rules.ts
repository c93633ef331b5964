/**
 * Cameo owners' written rules ("no political content", "never shown drinking", "always wearing
 * glasses") turned into checks a prompt can fail. A rule is either a prohibition (the prompt must
 * not mention the topic) or a requirement (the prompt must not contradict it). Topics the owner
 * names that we know expand to a category's keywords; any other topic is matched by its own words.
 * This is keyword matching, not understanding: the rules also go to the model as constraints, and
 * the output scan is the later safeguard.
 */

export interface RuleViolation {
  rule: string;
  message: string;
}

export interface ParsedRule {
  rule: string;
  kind: 'prohibit' | 'require';
  /** The category name when the topic is one we know, else null. */
  category: string | null;
  /** Terms whose presence in a prompt breaks the rule. */
  terms: string[];
  /** What the rule is about, in words for messages. */
  topic: string;
}

const CATEGORIES: Record<string, { match: RegExp; terms: string[] }> = {
  political: {
    match: /\b(politic\w*|election\w*|campaign\w*|partisan)\b/,
    terms: [
      'politic',
      'politics',
      'political',
      'politician',
      'election',
      'elections',
      'vote',
      'voting',
      'ballot',
      'campaign',
      'senator',
      'senate',
      'congress',
      'parliament',
      'president',
      'presidential',
      'prime minister',
      'democrat',
      'republican',
      'liberal',
      'conservative',
      'protest',
      'rally',
      'propaganda',
      'government',
      'party leader',
      'referendum',
      'candidate',
      'endorse',
      'endorsing',
      'endorsement',
      'manifesto',
      'left-wing',
      'right-wing',
    ],
  },
  drinking: {
    match: /\b(drink\w*|alcohol\w*|drunk|booze|beer|wine|liquor)\b/,
    terms: [
      'drink',
      'drinking',
      'drinks',
      'drank',
      'drunk',
      'alcohol',
      'alcoholic',
      'beer',
      'beers',
      'wine',
      'vodka',
      'whiskey',
      'whisky',
      'tequila',
      'rum',
      'gin',
      'champagne',
      'cocktail',
      'cocktails',
      'booze',
      'liquor',
      'pub',
      'toast',
      'shots',
      'tipsy',
      'hangover',
      'brewery',
      'sake',
      'margarita',
    ],
  },
  violence: {
    match: /\b(violen\w*|fight\w*|gore|blood\w*|weapon\w*|gun\w*)\b/,
    terms: [
      'violence',
      'violent',
      'fight',
      'fighting',
      'punch',
      'punching',
      'kick',
      'kicking',
      'stab',
      'stabbing',
      'shoot',
      'shooting',
      'gun',
      'guns',
      'rifle',
      'pistol',
      'knife',
      'sword',
      'weapon',
      'weapons',
      'kill',
      'killing',
      'murder',
      'blood',
      'bloody',
      'gore',
      'attack',
      'attacking',
      'war',
      'battle',
      'explosion',
      'bomb',
      'assault',
      'beat up',
      'beating',
      'torture',
      'wounded',
      'injured',
    ],
  },
  sexual: {
    match: /\b(sex\w*|nud\w*|naked|explicit|nsfw|lingerie|erotic\w*)\b/,
    terms: [
      'sex',
      'sexy',
      'sexual',
      'nude',
      'nudity',
      'naked',
      'topless',
      'undressed',
      'undressing',
      'lingerie',
      'bikini',
      'underwear',
      'erotic',
      'explicit',
      'nsfw',
      'kiss',
      'kissing',
      'seductive',
      'strip',
      'stripping',
      'bed scene',
    ],
  },
  smoking: {
    match: /\b(smok\w*|cigar\w*|vap\w*|tobacco)\b/,
    terms: [
      'smoke',
      'smoking',
      'smokes',
      'cigarette',
      'cigarettes',
      'cigar',
      'cigars',
      'vape',
      'vaping',
      'tobacco',
      'joint',
    ],
  },
  drugs: {
    match: /\b(drug\w*|narcotic\w*|cannabis|marijuana|weed)\b/,
    terms: [
      'drug',
      'drugs',
      'cocaine',
      'heroin',
      'meth',
      'marijuana',
      'cannabis',
      'weed',
      'pills',
      'stoned',
      'overdose',
      'syringe',
      'dealer',
      'joint',
      'lsd',
      'ecstasy',
    ],
  },
  gambling: {
    match: /\b(gambl\w*|casino\w*|betting)\b/,
    terms: [
      'gamble',
      'gambling',
      'casino',
      'poker',
      'betting',
      'bet',
      'slot machine',
      'roulette',
      'blackjack',
    ],
  },
  advertising: {
    match: /\b(advert\w*|ads?|commercial\w*|endors\w*|brand\w*|sponsor\w*|promot\w*)\b/,
    terms: [
      'ad',
      'ads',
      'advert',
      'advertisement',
      'advertising',
      'commercial',
      'sponsored',
      'sponsor',
      'brand',
      'promote',
      'promoting',
      'promotion',
      'endorse',
      'endorsing',
      'endorsement',
      'buy now',
      'product placement',
    ],
  },
  religious: {
    match: /\b(religio\w*|church\w*|prayer\w*|worship\w*)\b/,
    terms: [
      'religion',
      'religious',
      'church',
      'mosque',
      'temple',
      'synagogue',
      'pray',
      'praying',
      'prayer',
      'worship',
      'god',
      'preach',
      'preaching',
      'sermon',
    ],
  },
};

/** Requirements: a thing the owner must always be shown with; these phrases contradict it. */
function contradictionsOf(thing: string): string[] {
  const t = thing
    .replace(/^(wearing|wear|with|in|having|has)\s+/, '')
    .replace(/^(a|an|the|my|his|her|their)\s+/, '');
  const base = t.replace(/s$/, '');
  const forms = [...new Set([t, base, `${base}s`])];
  const out: string[] = [];
  for (const f of forms) {
    out.push(
      `without ${f}`,
      `without a ${f}`,
      `without an ${f}`,
      `without my ${f}`,
      `without his ${f}`,
      `without her ${f}`,
      `without their ${f}`,
      `no ${f}`,
      `taking off ${f}`,
      `takes off ${f}`,
      `take off ${f}`,
      `took off ${f}`,
      `removing ${f}`,
      `removes ${f}`,
      `remove ${f}`,
      `removed ${f}`,
      `not wearing ${f}`,
      `isn't wearing ${f}`,
      `is not wearing ${f}`,
    );
    for (const p of ['his', 'her', 'their', 'the', 'a']) {
      out.push(
        `taking off ${p} ${f}`,
        `takes off ${p} ${f}`,
        `take off ${p} ${f}`,
        `removes ${p} ${f}`,
        `removing ${p} ${f}`,
        `not wearing ${p} ${f}`,
      );
    }
    out.push(`${f} off`, `${f}-free`, `${f}less`);
  }
  return out;
}

const STOPWORDS = new Set([
  'a',
  'an',
  'the',
  'of',
  'to',
  'in',
  'on',
  'me',
  'my',
  'be',
  'being',
  'any',
  'anything',
  'content',
  'shown',
  'show',
  'showing',
  'videos',
  'video',
  'clips',
  'clip',
  'scenes',
  'scene',
  'stuff',
  'things',
  'related',
  'with',
  'or',
  'and',
  'as',
  'by',
  'for',
  'at',
  'depicted',
  'depicting',
  'portrayed',
  'appearing',
  'appear',
  'used',
  'use',
  'please',
]);

export function normaliseText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’']/g, "'")
    .replace(/[^a-z0-9'\- ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const PROHIBIT =
  /^(?:please\s+)?(?:no|never|not|don't|do not|dont|nothing|avoid|without|zero|ban|forbid(?:den)?)\b\s*(?:be\s+|being\s+|ever\s+|show\s+me\s+|shown\s+|show\s+|depict(?:ed)?\s+|put\s+me\s+in\s+|use\s+me\s+(?:in|for)\s+|in\s+|any\s+)*(.*)$/;
const REQUIRE =
  /^(?:please\s+)?(?:always|must|only)\b\s*(?:be\s+|being\s+|show\s+me\s+|shown\s+|show\s+)*(.*)$/;

export function parseRule(rule: string): ParsedRule {
  const n = normaliseText(rule);
  const req = REQUIRE.exec(n);
  if (req && req[1]) {
    const topic = req[1].trim();
    return { rule, kind: 'require', category: null, terms: contradictionsOf(topic), topic };
  }
  const pro = PROHIBIT.exec(n);
  const topic = (pro?.[1] ?? n).trim();
  for (const [name, c] of Object.entries(CATEGORIES)) {
    if (c.match.test(topic)) return { rule, kind: 'prohibit', category: name, terms: c.terms, topic };
  }
  const words = topic.split(' ').filter((w) => w.length > 2 && !STOPWORDS.has(w));
  const terms = new Set<string>();
  for (const w of words) {
    terms.add(w);
    if (w.endsWith('s')) terms.add(w.slice(0, -1));
    else terms.add(`${w}s`);
    if (w.endsWith('ing') && w.length > 5) terms.add(w.slice(0, -3));
  }
  return { rule, kind: 'prohibit', category: null, terms: [...terms], topic };
}

function findTerm(prompt: string, terms: string[]): string | null {
  const padded = ` ${prompt} `;
  for (const t of terms) {
    // Plain inflections (votes, voted, voting) count as the word; longer words do not (cat is not category).
    const re = new RegExp(
      `(^|[^a-z0-9])${t.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}(?:s|es|ed|ing)?(?=$|[^a-z0-9])`,
    );
    if (re.test(padded)) return t;
  }
  return null;
}

/** The rules this prompt breaks, each with a sentence naming the rule and the words that broke it. */
export function checkRules(rules: string[], prompt: string): RuleViolation[] {
  const p = normaliseText(prompt);
  const out: RuleViolation[] = [];
  for (const rule of rules) {
    const parsed = parseRule(rule);
    if (parsed.terms.length === 0) continue;
    const hit = findTerm(p, parsed.terms);
    if (!hit) continue;
    out.push({
      rule,
      message:
        parsed.kind === 'require'
          ? `The prompt says "${hit}", which contradicts the rule "${rule}".`
          : `The prompt mentions "${hit}", which the rule "${rule}" does not allow${parsed.category ? ` (${parsed.category} content)` : ''}.`,
    });
  }
  return out;
}

/** The rules as constraints for the model, one sentence each. */
export function rulesAsConstraints(handle: string, rules: string[]): string[] {
  return rules.map((r) => `The person @${handle} must be depicted respecting their rule: "${r}".`);
}
