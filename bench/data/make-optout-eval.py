#!/usr/bin/env python3
"""Writes bench/data/optout-eval.json: labelled prompts against bench/data/optout-registry.json.

Evasions are produced by deterministic transformations of registered names dropped into neutral
templates (no words that would corroborate an ambiguous name); descriptive references, ambiguous
names with and without context, and innocent prompts with look-alike words are written by hand.
Run: python3 bench/data/make-optout-eval.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

TEMPLATES = [
    "{X} walking through a rainy city street at night",
    "a cinematic close-up of {X} smiling at the camera",
    "{X} dancing on a rooftop at sunset",
    "a watercolor painting of {X} sitting in a garden",
    "slow motion shot of {X} jumping over a parked car",
    "{X} cooking pasta in a small kitchen",
    "a ten second clip of {X} waving hello",
    "{X} riding a bicycle along the beach",
    "make a video where {X} reads a newspaper on a bench",
    "{X} standing on a mountain top in the snow",
    "a claymation version of {X} drinking tea",
    "a drone shot following {X} across a desert",
]
BRAND_TEMPLATES = [
    "a close-up of a {X} product on a wooden table",
    "a billboard for {X} in a busy street",
    "a runner wearing {X} gear in the morning fog",
    "a vintage advert for {X} from the fifties",
]

# (entry id, name as registered, is the name >= 5 letters)
NAMES = [
    ("spiderman", "Spider-Man"), ("ironman", "Iron Man"), ("hulk", "Hulk"), ("blackwidow", "Black Widow"),
    ("batman", "Batman"), ("superman", "Superman"), ("wonderwoman", "Wonder Woman"), ("mickey", "Mickey Mouse"),
    ("elsa", "Elsa"), ("darthvader", "Darth Vader"), ("yoda", "Yoda"), ("pikachu", "Pikachu"),
    ("mario", "Super Mario"), ("zelda", "Zelda"), ("harrypotter", "Harry Potter"), ("hogwarts", "Hogwarts"),
    ("shrek", "Shrek"), ("simpsons", "Homer Simpson"), ("taylorswift", "Taylor Swift"), ("tomhanks", "Tom Hanks"),
    ("schwarzenegger", "Arnold Schwarzenegger"), ("beyonce", "Beyoncé"), ("elvis", "Elvis Presley"),
    ("starwars", "Star Wars"), ("joker", "The Joker"),
]
ALIASES = [
    ("spiderman", "Peter Parker"), ("ironman", "Tony Stark"), ("hulk", "Bruce Banner"), ("blackwidow", "Natasha Romanoff"),
    ("batman", "Bruce Wayne"), ("superman", "Clark Kent"), ("flash", "Barry Allen"), ("wonderwoman", "Diana Prince"),
    ("darthvader", "Anakin Skywalker"), ("yoda", "Master Yoda"), ("mario", "Mario"), ("simpsons", "Bart Simpson"),
    ("taylorswift", "T-Swift"), ("schwarzenegger", "The Governator"), ("elvis", "Elvis"), ("superman", "Kal-El"),
    ("spiderman", "Spidey"), ("spiderman", "Человек-паук"), ("pikachu", "ピカチュウ"), ("beyonce", "Queen Bey"),
]
BRANDS = [("nike", "Nike"), ("cocacola", "Coca-Cola"), ("lego", "LEGO"), ("nike", "Air Jordan"), ("cocacola", "Coke")]

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
CONF = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ", "A": "А", "B": "В", "E": "Е", "H": "Н", "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т", "X": "Х", "S": "Ѕ"}
FULLWIDTH = lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def leet(name: str) -> str:
    out, n = [], 0
    for c in name:
        if c.lower() in LEET and n < 3:
            out.append(LEET[c.lower()])
            n += 1
        else:
            out.append(c)
    return "".join(out)


def confusable(name: str) -> str:
    out, n = [], 0
    for c in name:
        if c in CONF and n < 3:
            out.append(CONF[c])
            n += 1
        else:
            out.append(c)
    return "".join(out)


SEPS = [".", "-", "_", " ", "/", "*"]


def separated(name: str, k: int) -> str:
    letters = [c for c in name if c.isalpha()]
    sep = SEPS[k % len(SEPS)]
    return sep.join(letters)


def zero_width(name: str) -> str:
    zw = "\u200b"
    return zw.join(name[i : i + 2] for i in range(0, len(name), 2))


def glued(name: str) -> str:
    return "".join(c for c in name if c.isalnum())


def split(name: str) -> str:
    g = glued(name)
    mid = len(g) // 2 + 1
    return g[:mid] + " " + g[mid:].lower()


def misspell(name: str, k: int) -> str:
    # one edit: drop a letter, double a letter, swap two letters, or replace a vowel
    chars = list(name)
    idx = [i for i, c in enumerate(chars) if c.isalpha() and i > 0]
    i = idx[(k * 3) % len(idx)]
    kind = k % 4
    if kind == 0:
        del chars[i]
    elif kind == 1:
        chars.insert(i, chars[i])
    elif kind == 2 and i + 1 < len(chars) and chars[i + 1].isalpha():
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        vowels = "aeiou"
        j = next((j for j in idx if chars[j] in vowels), i)
        chars[j] = vowels[(vowels.index(chars[j]) + 1) % 5] if chars[j] in vowels else "y"
    return "".join(chars)


def letters(name: str) -> int:
    return sum(c.isalpha() for c in name)


items = []


def add(prompt: str, expect, category: str) -> None:
    items.append({"prompt": prompt, "expect": sorted(set(expect)), "category": category})


t = 0
for i, (eid, name) in enumerate(NAMES):
    tpl = TEMPLATES[i % len(TEMPLATES)]
    add(tpl.format(X=name), [eid], "direct")
    add(TEMPLATES[(i + 5) % len(TEMPLATES)].format(X=leet(name)), [eid], "leetspeak")
    add(TEMPLATES[(i + 7) % len(TEMPLATES)].format(X=confusable(name) if i % 3 else FULLWIDTH(name)), [eid], "confusable")
    add(TEMPLATES[(i + 2) % len(TEMPLATES)].format(X=separated(name, i) if i % 2 else zero_width(name)), [eid], "separator")
    if " " in name or "-" in name:
        add(TEMPLATES[(i + 3) % len(TEMPLATES)].format(X=glued(name)), [eid], "split_or_glued")
    else:
        add(TEMPLATES[(i + 3) % len(TEMPLATES)].format(X=split(name)), [eid], "split_or_glued")
    if letters(name) >= 5:
        add(TEMPLATES[(i + 9) % len(TEMPLATES)].format(X=misspell(name, i)), [eid], "misspelling")
    add(TEMPLATES[(i + 4) % len(TEMPLATES)].format(X=name + "'s twin"), [eid], "possessive_or_plural")

for i, (eid, name) in enumerate(ALIASES):
    add(TEMPLATES[(i + 1) % len(TEMPLATES)].format(X=name), [eid], "alias")

for i, (eid, name) in enumerate(BRANDS):
    add(BRAND_TEMPLATES[i % len(BRAND_TEMPLATES)].format(X=name), [eid], "direct")
    add(BRAND_TEMPLATES[(i + 1) % len(BRAND_TEMPLATES)].format(X=leet(name) if letters(name) > 4 else confusable(name)), [eid], "leetspeak" if letters(name) > 4 else "confusable")

PHONETIC = [
    ("Spyderr Mahn climbing a wall", ["spiderman"]), ("Mikkee Mowse waving", ["mickey"]), ("Peekachoo in a meadow", ["pikachu"]),
    ("Hairy Pottar reading a book", ["harrypotter"]), ("Tailor Swifft on a stage", ["taylorswift"]), ("Darth Vayder breathing", ["darthvader"]),
    ("Shwarzenegar lifting weights", ["schwarzenegger"]), ("Beeyonsay dancing", ["beyonce"]), ("Batmann on a rooftop", ["batman"]),
    ("Soopermann flying over a city", ["superman"]), ("Sooper Mareeo jumping", ["mario"]), ("Tomm Hankz on a bench", ["tomhanks"]),
    ("Elviss Presslee singing", ["elvis"]), ("Hogwartz castle at night", ["hogwarts"]), ("Shreck in a forest", ["shrek"]),
    ("Pickachu plush on a bed", ["pikachu"]), ("Arnuld Shwartzenegger flexing", ["schwarzenegger"]), ("Harree Potter on a train", ["harrypotter"]),
    ("Iyron Mann flying", ["ironman"]), ("Wunder Wooman with a shield", ["wonderwoman"]),
]
for p, e in PHONETIC:
    add(p, e, "phonetic")

MORE_EVASIONS = [
    ("S.p-i d/e_r-M.a.n swinging between buildings", ["spiderman"], "separator"),
    ("B a t m a n on a gargoyle", ["batman"], "separator"),
    ("P·i·k·a·c·h·u in the grass", ["pikachu"], "separator"),
    ("$up3rm4n flying", ["superman"], "leetspeak"),
    ("p1k@chu sleeping", ["pikachu"], "leetspeak"),
    ("H4rry P0tt3r casting a spell", ["harrypotter"], "leetspeak"),
    ("Ｂａｔｍａｎ in the rain", ["batman"], "confusable"),
    ("𝐒𝐡𝐫𝐞𝐤 eating onions", ["shrek"], "confusable"),
    ("Ѕhrеk in a swamp hut", ["shrek"], "confusable"),
    ("batmanvssuperman showdown", ["batman", "superman"], "split_or_glued"),
    ("Spi derman eating pizza", ["spiderman"], "split_or_glued"),
    ("Harrypotter on a broom", ["harrypotter"], "split_or_glued"),
    ("Dar thvader in a hallway", ["darthvader"], "split_or_glued"),
    ("two Pikachus playing", ["pikachu"], "possessive_or_plural"),
    ("Batman's car in a garage", ["batman"], "possessive_or_plural"),
    ("Shrek’s house", ["shrek"], "possessive_or_plural"),
    ("Beyonce singing", ["beyonce"], "diacritics"),
    ("Pokemon trainer throwing a ball", ["pokemon"], "diacritics"),
    ("Pokèmon cards on a desk", ["pokemon"], "diacritics"),
    ("Spidr-Man on a rooftop", ["spiderman"], "misspelling"),
    ("Harry Porter on a broom", ["harrypotter"], "misspelling"),
    ("Supermann saving a cat", ["superman"], "misspelling"),
    ("Pikachoo under a tree", ["pikachu"], "misspelling"),
    ("Schwarzeneger at the gym", ["schwarzenegger"], "misspelling"),
    ("Micky Mouse at a parade", ["mickey"], "misspelling"),
    ("Tayolr Swift on a piano", ["taylorswift"], "misspelling"),
]
for p, e, c in MORE_EVASIONS:
    add(p, e, c)

DESCRIPTIVE = [
    ("a yellow electric mouse with red cheeks", ["pikachu"]),
    ("an electric yellow mouse napping", ["pikachu"]),
    ("a giant green rage monster smashing cars", ["hulk"]),
    ("a masked vigilante prowling gotham", ["batman"]),
    ("the scarlet speedster racing down a highway", ["flash"]),
    ("a green ogre living in a swamp", ["shrek"]),
    ("a small green jedi master meditating", ["yoda"]),
    ("a mustached plumber in a red cap jumping on turtles", ["mario"]),
    ("the friendly neighborhood wall crawler", ["spiderman"]),
    ("a sith lord in a black helmet", ["darthvader"]),
    ("an amazon warrior princess with a golden lasso", ["wonderwoman"]),
    ("a cartoon mouse in red shorts and white gloves", ["mickey"]),
    ("the swoosh logo on a shoe", ["nike"]),
    ("ice palace of the arendelle sisters", ["frozen"]),
    ("a yellow family from springfield on a couch", ["simpsons"]),
    ("the triforce glowing over hyrule", ["zelda"]),
    ("a caped hero from krypton", ["superman"]),
    ("a red and gold armored billionaire flying", ["ironman"]),
    ("a web slinger in red and blue", ["spiderman"]),
    ("the ice queen of arendelle building a castle", ["elsa"]),
    ("a bitten apple logo on a laptop lid", ["apple"]),
    ("a wizard with a lightning scar walking to hogwarts", ["harrypotter", "hogwarts"]),
]
for p, e in DESCRIPTIVE:
    add(p, e, "description")

AMBIGUOUS_WITH_CONTEXT = [
    ("The Flash racing through the city, superhero style", ["flash"]),
    ("a photo of Flash and Batman together", ["flash", "batman"]),
    ("Elsa and Anna singing in Frozen", ["elsa", "frozen"]),
    ("watching the movie Frozen with my family", ["frozen"]),
    ("a frozen movie poster on a bedroom wall", ["frozen"]),
    ("an apple logo glowing on a laptop", ["apple"]),
    ("a new Apple iPhone on a desk", ["apple"]),
    ("Joker from the Batman comics laughing", ["joker", "batman"]),
    ("the joker villain laughing in an alley", ["joker"]),
    ("Black Widow and Iron Man fighting robots", ["blackwidow", "ironman"]),
    ("a wonder woman costume for a party", ["wonderwoman"]),
    ("the flash superhero cosplay at a convention", ["flash"]),
    ("Man of Steel flying over the city", ["superman"]),
    ("Wonder Woman deflecting arrows", ["wonderwoman"]),
    ("a kid watching Star Wars on a laptop", ["starwars"]),
    ("Iron Man landing on a rooftop", ["ironman"]),
    ("Frozen characters building a snowman", ["frozen"]),
    ("a scene where Flash meets Barry Allen's father", ["flash"]),
    ("Spider Man swinging over a bridge", ["spiderman"]),
    ("a Joker card glowing green, Gotham style", ["joker"]),
    ("the dark knight watching over gotham", ["batman"]),
    ("Just Do It slogan on a Nike billboard", ["nike"]),
    ("an apple brand commercial with music", ["apple"]),
    ("a girl dressed as Elsa from Frozen", ["elsa", "frozen"]),
]
for p, e in AMBIGUOUS_WITH_CONTEXT:
    add(p, e, "ambiguous_with_context")

INNOCENT_LOOKALIKE = [
    "flash photography of a frozen lake",
    "a camera flash going off at a party",
    "frozen berries in a glass bowl",
    "an apple orchard in autumn light",
    "apple pie cooling on a window sill",
    "a spider spinning a web in the morning dew",
    "an iron gate rusting in the rain",
    "a black widow spider on a leaf",
    "a man made of iron scrap in a junkyard",
    "children staring in wonder at the stars",
    "a bat flying at dusk over a barn",
    "the joker card in a deck of cards",
    "a swift bird diving into the sea",
    "a tailor sewing a suit by hand",
    "a hulking bodybuilder at the beach",
    "a yoga class at dawn",
    "a dark night sky full of stars",
    "a superb man-made waterfall",
    "a queen bee in a hive",
    "just do it yourself: building a bookshelf",
    "a man of steel nerves crossing a tightrope",
    "a green frog in a swamp",
    "a red cap on a plumber's toolbox",
    "the black helmet of a motorcycle rider",
    "a golden lasso at a rodeo",
    "an ice palace hotel in sweden",
    "a masked rider at night",
    "a yellow mouse sitting beside a noisy electric fan",
    "shred the cheese for a pizza",
    "a woman shrieking at a spider",
    "a pelvis x-ray on a light box",
    "nice weather for a picnic",
    "a leg of lamb roasting in the oven",
    "a marvel of engineering: a suspension bridge",
    "the king of the jungle resting",
    "a hog washing in a mud puddle",
    "the flash of lightning lit the sky",
    "a frozen waterfall in winter",
    "a swift river through a canyon",
    "an old homer at the baseball park",
    "a simple song played on a guitar",
    "the star of the show taking a bow",
    "stars and wars in an old history book",
    "a bat and a man walking in the park",
    "a spider, a man and a dog in a field",
    "a tom cat chasing a mouse",
    "a cat man fixing a scratching post",
    "a hat man selling hats",
    "a mouse wearing tiny shorts",
    "an electric guitar in a yellow room",
    "a pocket full of monsters made of clay",
    "the iron man triathlon finish line",
    "wonder woman of the year award",
    "a small green lizard on a rock",
    "a knight in shining armor on a dark road",
    "a coat hanging on a hook",
    "the legend of the lost city",
    "a clark fork river landscape",
    "hogwash, said the farmer",
    "lego-like blocks of ice",
    "a yodel echoing in the alps",
    "an elf singing in the forest",
    "the governor's mansion at dusk",
    "super man-sized sandwich",
    "a bit of magic in a top hat",
]
for p in INNOCENT_LOOKALIKE:
    add(p, [], "innocent_lookalike")

INNOCENT = [
    "a golden retriever running on the beach",
    "a time-lapse of clouds over a mountain",
    "a chef slicing vegetables in slow motion",
    "a couple dancing in the rain under a streetlight",
    "a paper boat floating down a stream",
    "a futuristic city skyline at dusk",
    "an astronaut planting a flag on a red planet",
    "a cozy cabin with smoke from the chimney",
    "a cat knocking a glass off a table",
    "a street musician playing violin",
    "waves crashing on a rocky shore",
    "a hot air balloon over vineyards",
    "a robot watering plants in a greenhouse",
    "a child blowing out birthday candles",
    "a fox walking through fresh snow",
    "a lighthouse in a storm",
    "a steaming cup of coffee on a rainy morning",
    "a skateboarder doing a kickflip",
    "fireworks over a harbor",
    "a dog catching a frisbee in a park",
    "an old man feeding pigeons",
    "a train crossing a stone bridge",
    "a chess game in a park",
    "a baker pulling bread out of an oven",
    "a koi pond with falling leaves",
    "a jazz band in a smoky club",
    "a field of sunflowers swaying",
    "a tiny house on a cliff",
    "a scientist looking through a microscope",
    "a horse galloping across a meadow",
]
for p in INNOCENT:
    add(p, [], "innocent")

# Written after the matcher was tuned and never tuned against: a rough check of how the figures
# above generalise. Positives and innocent prompts mixed.
HOLDOUT_POSITIVE = [
    ("spider-mans mask on a chair", ["spiderman"]),
    ("SPIDERMAN!!! in the rain", ["spiderman"]),
    ("a kid in a bat-man cape", ["batman"]),
    ("Mr. Potter, Harry, reading", ["harrypotter"]),
    ("a portrait of beyoncé knowles", ["beyonce"]),
    ("the Hulk's fist", ["hulk"]),
    ("pikachuu and friends", ["pikachu"]),
    ("Darth-Vader breathing heavy", ["darthvader"]),
    ("a cameo by Tom Hanks", ["tomhanks"]),
    ("a b.a.t.m.a.n logo", ["batman"]),
    ("𝓢𝓱𝓻𝓮𝓴 dancing", ["shrek"]),
    ("yoda-like green master jedi, small", ["yoda"]),
    ("Wonder-Woman on a horse", ["wonderwoman"]),
    ("supermans cape flapping", ["superman"]),
    ("Lord Vader's ship", ["darthvader"]),
    ("mickey mouse ears on a kid", ["mickey"]),
    ("the legend of zelda theme", ["zelda"]),
    ("coca cola truck at christmas", ["cocacola"]),
    ("an air jordan sneaker spinning", ["nike"]),
    ("the Simpsons couch gag", ["simpsons"]),
]
HOLDOUT_INNOCENT = [
    "a spider's web glistening",
    "a bat in a cave",
    "the iron in my blood",
    "a mouse eating cheese",
    "a hulk of a man lifting logs",
    "a swift kick of a football",
    "the lego set of a child (generic bricks)",
    "frozen in time, a clock",
    "a star over a war-torn city",
    "a wonderful woman gardening",
    "a joker smile on a clown",
    "an elvish forest",
    "a coke bottle shaped vase",
    "a super hero pose by a firefighter",
    "a nike statue in a museum of greek goddesses",
    "apple juice in a glass",
    "a yellow electric scooter",
    "the mario kart track at a fair",
    "potter making a clay vase",
    "a dark knight-themed chess set",
]
for p, e in HOLDOUT_POSITIVE:
    add(p, e, "holdout_positive")
for p in HOLDOUT_INNOCENT:
    add(p, [], "holdout_innocent")

with open(os.path.join(HERE, "optout-eval.json"), "w", encoding="utf-8") as f:
    json.dump(items, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(len(items), "prompts")
