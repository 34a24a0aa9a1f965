"""Fictional news reports (no such events, people or places), shared by the dedupe tests and
the system tests that post them: one summit told twice, its announcement and outcome, two
editions of a bloc's summit (and the second retold), a sanctions story of the same countries,
the summit told in Russian, with the next development in Russian too, and the summit told in
Finnish, a language the shipped topics' word lists do not cover, beside two Nordic reports of
other things."""

MEETING = ("Norland and Estmark leaders meet in Geneva",
           "President Ana Ruiz of Norland and Prime Minister Lars Holm of Estmark met in Geneva "
           "on Tuesday for their first summit in a decade, discussing the river border and "
           "energy trade.")
REWRITE = ("Ruiz, Holm hold first summit in ten years",
           "Norland's President Ana Ruiz and Estmark's Prime Minister Lars Holm held talks in "
           "Geneva on Tuesday, their first summit in ten years, focused on the disputed river "
           "border and energy.")
ANNOUNCED = ("Norland and Estmark to hold summit next month",
             "President Ana Ruiz of Norland will travel to Geneva next month to meet Prime "
             "Minister Lars Holm of Estmark, her office said.")
OUTCOME = ("Ruiz and Holm sign energy pact after Geneva talks",
           "After their talks in Geneva, Norland's president and Estmark's prime minister signed "
           "a 10-year energy agreement and said the border commission would meet in May.")
EDITION_15 = ("Valdor bloc opens 15th summit in Karsk",
              "Leaders of the seven-member Valdor bloc opened their 15th summit in Karsk on "
              "Monday, with trade and security on the agenda.")
EDITION_16 = ("Valdor bloc opens 16th summit in Orlev",
              "Leaders of the seven-member Valdor bloc opened their 16th summit in Orlev on "
              "Monday, with a new member joining the talks.")
# The 16th summit again, without its number: it may be either edition, and reads most like
# the 16th (the city, the new member).
EDITION_16_RETOLD = ("Valdor bloc summit opens",
                     "Leaders of the seven-member Valdor bloc opened their summit in Orlev on "
                     "Monday, with a new member joining the talks.")
SANCTIONS = ("Sanctions on Norland shipping firms",
             "The European Union froze the assets of three Norland shipping firms on Tuesday.")
# The meeting in Russian: Cyrillic names, which bot.text.latin writes as Latin letters.
MEETING_RU = ("Лидеры Норланда и Эстмарка провели саммит в Женеве",
              "Президент Норланда Ана Руис и премьер-министр Эстмарка Ларс Хольм встретились "
              "во вторник в Женеве на первом за десять лет саммите, обсудив речную границу и "
              "торговлю энергией.")
# ... and what followed it: the same names, a new development.
INVITED_RU = ("Ларс Хольм пригласил Ану Руис в Эстмарк",
              "После саммита премьер-министр Эстмарка Ларс Хольм пригласил президента Норланда "
              "Ану Руис посетить Эстмарк с государственным визитом осенью.")
# The meeting in Finnish: no word of the shipped summits' lists, so only their meaning can
# find it (it scores 0.58: under the English bar of 0.60, over the other languages' 0.45).
MEETING_FI = ("Norlandin ja Estmarkin johtajat tapasivat Genevessä",
              "Norlandin presidentti Ana Ruiz ja Estmarkin pääministeri Lars Holm tapasivat "
              "tiistaina Genevessä ensimmäisessä huippukokouksessaan vuosikymmeneen ja "
              "keskustelivat rajajoesta ja energiakaupasta.")
# Other news in Finnish and Swedish: a mountain's summit (0.12) and a central bank (0.12).
CLIMB_FI = ("Kiipeilijät saavuttivat huipun",
            "Norlantilaiset kiipeilijät saavuttivat vuoren huipun tiistaina kymmenen tunnin "
            "nousun jälkeen.")
RATES_SV = ("Norland höjer räntan",
            "Norlands centralbank höjde på tisdagen styrräntan med en kvarts procentenhet för "
            "att bromsa inflationen.")
