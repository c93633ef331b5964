/** A small registry shared by the matcher tests (the full evaluation registry lives in bench/data). */
import type { ProtectedEntry } from '../../../src/optout/matching';

const base = { descriptions: [] as string[], policy: 'block' as const, licensees: [] as string[], aliases: [] as string[] };

export const TEST_ENTRIES: ProtectedEntry[] = [
  { ...base, id: 'spiderman', ownerId: 'marvel', ownerName: 'Marvel', kind: 'character', canonicalName: 'Spider-Man', aliases: ['Peter Parker', 'Spidey'], descriptions: ['friendly neighborhood wall crawler'] },
  { ...base, id: 'ironman', ownerId: 'marvel', ownerName: 'Marvel', kind: 'character', canonicalName: 'Iron Man', aliases: ['Tony Stark'], policy: 'licensed_only', licensees: ['acct_licensed'] },
  { ...base, id: 'batman', ownerId: 'dc', ownerName: 'DC Comics', kind: 'character', canonicalName: 'Batman', aliases: ['Bruce Wayne'], descriptions: ['gotham masked vigilante'] },
  { ...base, id: 'superman', ownerId: 'dc', ownerName: 'DC Comics', kind: 'character', canonicalName: 'Superman', aliases: ['Clark Kent'] },
  { ...base, id: 'flash', ownerId: 'dc', ownerName: 'DC Comics', kind: 'character', canonicalName: 'The Flash', aliases: ['Flash', 'Barry Allen'], descriptions: ['scarlet speedster'] },
  { ...base, id: 'frozen', ownerId: 'disney', ownerName: 'Disney', kind: 'work', canonicalName: 'Frozen', aliases: [], descriptions: ['arendelle sisters ice palace'] },
  { ...base, id: 'elsa', ownerId: 'disney', ownerName: 'Disney', kind: 'character', canonicalName: 'Elsa', aliases: ['Queen Elsa'] },
  { ...base, id: 'mickey', ownerId: 'disney', ownerName: 'Disney', kind: 'character', canonicalName: 'Mickey Mouse', aliases: [] },
  { ...base, id: 'pikachu', ownerId: 'pokemon', ownerName: 'The Pokémon Company', kind: 'character', canonicalName: 'Pikachu', descriptions: ['yellow electric mouse'] },
  { ...base, id: 'pokemon', ownerId: 'pokemon', ownerName: 'The Pokémon Company', kind: 'work', canonicalName: 'Pokémon' },
  { ...base, id: 'harrypotter', ownerId: 'wb', ownerName: 'Warner Bros.', kind: 'character', canonicalName: 'Harry Potter' },
  { ...base, id: 'taylorswift', ownerId: 'tas', ownerName: 'TAS Rights Management', kind: 'real_person', canonicalName: 'Taylor Swift' },
  { ...base, id: 'schwarzenegger', ownerId: 'oak', ownerName: 'Oak Productions', kind: 'real_person', canonicalName: 'Arnold Schwarzenegger', aliases: ['Schwarzenegger'] },
  { ...base, id: 'apple', ownerId: 'apple', ownerName: 'Apple Inc.', kind: 'brand', canonicalName: 'Apple', aliases: ['iPhone'] },
  { ...base, id: 'shrek', ownerId: 'dreamworks', ownerName: 'DreamWorks', kind: 'character', canonicalName: 'Shrek' },
];
