import { checkRules, parseRule, rulesAsConstraints } from '../../../src/consent/rules';

describe('cameo rules checked against prompts', () => {
  it('maps common prohibitions onto their categories', () => {
    expect(parseRule('no political content')).toMatchObject({ kind: 'prohibit', category: 'political' });
    expect(parseRule('Never shown drinking')).toMatchObject({ kind: 'prohibit', category: 'drinking' });
    expect(parseRule('No violence please')).toMatchObject({ kind: 'prohibit', category: 'violence' });
    expect(parseRule("don't show me smoking")).toMatchObject({ kind: 'prohibit', category: 'smoking' });
    expect(parseRule('always wearing glasses')).toMatchObject({ kind: 'require', topic: 'wearing glasses' });
  });

  it('refuses prompts that break a category rule and names the rule and the words', () => {
    const rules = ['no political content', 'never shown drinking'];
    expect(checkRules(rules, 'Maya endorsing a presidential candidate')).toEqual([
      {
        rule: 'no political content',
        message: expect.stringMatching(/"presidential".*"no political content"/),
      },
    ]);
    expect(checkRules(rules, 'Maya sips WHISKEY at a party').map((v) => v.rule)).toEqual([
      'never shown drinking',
    ]);
    expect(checkRules(rules, 'Maya votes, then drinks champagne').map((v) => v.rule)).toEqual(rules);
  });

  it('refuses prompts that contradict a requirement, and passes ones that respect it', () => {
    const rules = ['always wearing glasses'];
    expect(checkRules(rules, 'Maya takes off her glasses and smiles')).toHaveLength(1);
    expect(checkRules(rules, 'Maya without glasses on a beach')).toHaveLength(1);
    expect(checkRules(rules, 'Maya wearing glasses on a beach')).toEqual([]);
  });

  it('matches rules about topics it has no category for by their own words, whole words only', () => {
    expect(checkRules(['no cats'], 'Maya holds a cat')).toHaveLength(1);
    expect(checkRules(['no cats'], 'Maya reads about category theory')).toEqual([]);
    expect(checkRules(['no violence'], 'a warm, sunny afternoon in a swordless town')).toEqual([]);
  });

  it('passes harmless prompts and words that only look like a category', () => {
    const rules = ['no political content', 'never shown drinking', 'no violence', 'no sexual content'];
    expect(checkRules(rules, 'Maya walks her dog in the park and waves at the camera')).toEqual([]);
    expect(checkRules(rules, 'Maya eats a chocolate bar, a close-up shot')).toEqual([]);
  });

  it('turns rules into constraint sentences for the model', () => {
    expect(rulesAsConstraints('maya', ['no violence'])).toEqual([
      'The person @maya must be depicted respecting their rule: "no violence".',
    ]);
  });
});
