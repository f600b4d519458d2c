"""Short texts of several genres, none related to any task, for the perplexity-damage probe.

A memory that leaks into ordinary text raises its perplexity. The probe used to read one
encyclopedic paragraph — the genre of the retention passages ingest trains on
(``lift_memory.retention.GENERIC_PASSAGES``), so it measured what training had just smoothed.
These texts are of other genres (a recipe, a manual, a dialogue, a news report, verse, code
with comments), 80–150 words each, written for this project; the report gives the perplexity
ratio on each and their mean.
"""

from __future__ import annotations

UNRELATED_TEXTS: dict[str, str] = {
    "recipe": (
        "Red lentil soup (serves four). You will need 250 g red lentils, one onion, two carrots, "
        "two cloves of garlic, a tablespoon of olive oil, a teaspoon of ground cumin, 1.2 litres "
        "of vegetable stock, half a lemon, salt and pepper.\n"
        "Rinse the lentils until the water runs clear. Chop the onion and carrots finely and "
        "crush the garlic. Warm the oil in a large pan over a medium heat and soften the onion "
        "for five minutes, stirring now and then. Add the carrots, garlic and cumin and cook for "
        "two more minutes. Tip in the lentils and the stock, bring to the boil, then lower the "
        "heat and simmer for twenty minutes, until the lentils have collapsed. Blend half of the "
        "soup, stir it back in, and season with lemon juice, salt and pepper. Serve with warm "
        "bread."
    ),
    "manual": (
        "3.2 Descaling the kettle\n"
        "Limescale builds up faster in hard-water areas and can make the kettle noisy and slow "
        "to boil. We recommend descaling every four to six weeks. Before you start, unplug the "
        "kettle and let it cool completely. Fill the kettle to the MAX mark with a mixture of "
        "one part white vinegar and two parts water. Do not switch the kettle on while it "
        "contains vinegar. Leave the solution to stand for at least one hour, then pour it away "
        "and rinse the inside three times with clean water. Boil a full kettle of fresh water "
        "and discard it before using the kettle again.\n"
        "Note: never immerse the base or the power cord in water. If the indicator light "
        "flashes red after descaling, contact the service centre listed on the warranty card."
    ),
    "dialogue": (
        "MAYA: Are you still coming to the allotment on Saturday?\n"
        "TOM: If it doesn't rain. What needs doing?\n"
        "MAYA: The beans need poles, and somebody has to dig out the nettles by the shed.\n"
        "TOM: I'll take the nettles. I've got the thick gloves.\n"
        "MAYA: Perfect. Could you bring your wheelbarrow too? Ours has a flat tyre.\n"
        "TOM: Sure. What time?\n"
        "MAYA: Nine, before it gets hot. I'll bring coffee and those cheese scones you liked.\n"
        "TOM: Then I'll be there at half past eight.\n"
        "MAYA: Very funny. Nine is fine.\n"
        "TOM: Should I ask Priya? She said she wanted to learn how to grow tomatoes.\n"
        "MAYA: Yes, ask her. The more hands, the better. And tell her to wear old shoes."
    ),
    "news": (
        "Council approves cycle lanes for the town centre\n"
        "The town council voted on Tuesday evening to build two kilometres of protected cycle "
        "lanes along the high street and the station road, after a public consultation that "
        "drew more than 1,400 responses. Supporters said the lanes would make it safer for "
        "children to cycle to school and would ease traffic at peak hours. Several shop owners "
        "objected to the loss of twenty parking spaces, arguing that customers from outlying "
        "villages would shop elsewhere. The council said it would open a new car park near the "
        "library to make up for the spaces. Work is expected to start in the spring and to take "
        "about five months. A spokesperson added that the scheme will be reviewed after its "
        "first full year."
    ),
    "verse": (
        "The kettle hums a note of rain,\n"
        "the window holds a paler grey;\n"
        "the cat has claimed the chair again\n"
        "and will not give it back today.\n"
        "Outside, the puddles learn the sky\n"
        "and lose it every time it moves;\n"
        "a bus goes shining, slowly by,\n"
        "its tyres unstitching silver grooves.\n"
        "I keep a cup between my hands,\n"
        "I keep the letter, still unsent;\n"
        "the clock says more than it understands\n"
        "of where the quiet morning went.\n"
        "By noon the light will reach the floor,\n"
        "the kettle, chair and sleeping cat,\n"
        "and I will answer at the door\n"
        "as if I'd only thought of that."
    ),
    "code": (
        "# Retry a flaky network call with exponential backoff.\n"
        "# The first attempt happens at once; after each failure we wait twice as long as\n"
        "# before, up to max_delay seconds, so that a briefly overloaded server can recover.\n"
        "def fetch_with_retry(url, attempts=5, base_delay=0.5, max_delay=8.0):\n"
        "    delay = base_delay\n"
        "    for attempt in range(attempts):\n"
        "        try:\n"
        "            return fetch(url)\n"
        "        except TimeoutError:\n"
        "            # Give up after the last attempt and let the caller decide what to do.\n"
        "            if attempt == attempts - 1:\n"
        "                raise\n"
        "            # A little jitter keeps many clients from retrying in lockstep.\n"
        "            time.sleep(delay + random.uniform(0, delay / 4))\n"
        "            delay = min(delay * 2, max_delay)\n"
    ),
}
