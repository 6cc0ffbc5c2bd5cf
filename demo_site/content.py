"""The demo site's articles, written for presswatch (modelled on real outlets, not copied).

Plain data: five outlets, their articles, and what changes at each stage of the site.
Dates carry their outlet's time zone; `updated` is what the page shows as its last change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outlet:
    name: str
    label: str
    language: str
    home: str  # path of the outlet's front page


@dataclass(frozen=True)
class Article:
    outlet: str
    path: str
    title: str
    published: str  # ISO 8601 with offset
    paragraphs: tuple[str, ...]
    updated: str | None = None  # defaults to published
    author: str | None = None
    source: str | None = None  # "source" shown in the info line, e.g. "Xinhua" on a reprint
    section: str = ""
    private: bool = False  # robots.txt forbids it; not counted as a visible article

    @property
    def modified(self) -> str:
        return self.updated or self.published


OUTLETS = {
    "chinadaily": Outlet("chinadaily", "China Daily (demo)", "en", "/chinadaily/"),
    "xinhua": Outlet("xinhua", "Xinhua (demo)", "en", "/xinhua/english/"),
    "globaltimes": Outlet("globaltimes", "Global Times (demo)", "en", "/globaltimes/"),
    "xjgov": Outlet("xjgov", "Xinjiang Government Press Office (demo)", "zh", "/xjgov/"),
    "unnews": Outlet("unnews", "UN News (demo)", "en", "/unnews/"),
}

# Discovery entry points, relative to the site root.
CHINADAILY_FEED = "/chinadaily/rss/china_rss.xml"
XINHUA_SITEMAP_INDEX = "/xinhua/sitemap_index.xml"
XINHUA_SITEMAPS = ("/xinhua/sitemap_news.xml", "/xinhua/sitemap_articles.xml")
XINHUA_NEWS_SINCE = "2021-02-10"  # articles from this day on are in the news sitemap; older ones in the other
GLOBALTIMES_LISTING = "/globaltimes/china/index.html"  # then index_2.html, index_3.html
GLOBALTIMES_PER_PAGE = 4
XJGOV_LISTING = "/xjgov/xwfb/index.html"  # then index_1.html
XJGOV_PER_PAGE = 3
UNNEWS_FEED = "/unnews/feed/rss.xml"  # an Atom 1.0 feed despite the name, as on the real site

# The same press release, reprinted by three outlets: each changes only its opening line.
_RELEASE = (
    "According to a statement issued by the regional information office, the graduates have mastered the "
    "standard spoken and written Chinese language, acquired legal knowledge and vocational skills, and freed "
    "themselves from the influence of extremist thoughts.",
    "More than 90 percent of the graduates are now working in textile, garment, electronics, food processing "
    "and agricultural businesses, while others have started their own businesses or returned to family farms, "
    "the statement said.",
    "Average monthly incomes of the graduates have risen to between 2,500 and 4,000 yuan ($387 and $619), and "
    "many of them have bought cars and apartments and are living happy lives with their families.",
    "The statement said the training was conducted in accordance with the law and that the trainees' customs, "
    "religious beliefs and right to use their native languages were fully respected.",
    "It added that the region would continue to provide free vocational skills courses to rural residents who "
    "wish to improve their employability.",
)

SEED_PATH = "/chinadaily/a/202102/08/WS601f5a2fa31024ad0baa7b6f.html"

ARTICLES: tuple[Article, ...] = (
    # ---------------------------------------------------------------- chinadaily
    Article(
        "chinadaily",
        SEED_PATH,
        "Xinjiang holds webinar to outline its progress",
        "2021-02-08T10:12:00+08:00",
        source="chinadaily.com.cn",
        section="Updates",
        paragraphs=(
            'A webinar titled "Xinjiang is a Wonderful Land" was jointly hosted by China\'s Permanent Mission to '
            "the United Nations Office in Geneva and the government of Xinjiang Uygur autonomous region on Feb 3.",
            "The purpose of the webinar was to serve as an introduction to Xinjiang's socioeconomic development "
            "achievements and its people's living conditions. Attendees included diplomats from more than 50 "
            "countries, including nearly 20 ambassadors.",
            "The online event also attracted the participation of officials from the Office of the United Nations "
            "High Commissioner for Human Rights and UN human rights experts.",
            "At the webinar, the attendees learned about Xinjiang's landscape, its socioeconomic achievements and "
            "the people's happy lives through a series of video clips.",
            "Erkin Tuniyaz, vice chairman of the regional government and head of the Xinjiang Islamic Association "
            "and the Xinjiang Islamic Institute, and Muhtiram Sherip, the Imam of the Yanghang Mosque in Urumqi, "
            "further explained how religious freedom is guaranteed in the region.",
            "Representatives of graduated trainees from former vocational education and training centers shared "
            "stories of how their lives were improved after learning skills at the centers.",
            "People from all walks of life such as internet celebrities, Uyghur mothers and workers told their "
            "personal stories of how Xinjiang has shaken off extreme poverty, developed e-commerce, protected its "
            "traditional culture, offered free education and maternal and child health-care, and promoted "
            "solidarity and unity among people of all ethnic groups.",
            "Diplomats from Laos, Cuba, North Korea, Russia, Belarus, Zimbabwe, Pakistan, Iran, and Eritrea "
            "thanked the Chinese government for offering such an opportunity to learn about Xinjiang's "
            "development and people's happy lives, which they said they found inspiring and helpful for the "
            "diplomatic circle in Geneva to get to know the real Xinjiang in an all-round and accurate way.",
            "Many diplomats recalled their visits to Xinjiang and said they appreciated the Chinese government's "
            "commitment to promoting sustainable development, safeguarding social order, protecting human "
            "rights, and improving people's livelihoods.",
            "They also expressed firm opposition to politicizing human rights issues and using Xinjiang-related "
            "issues to interfere in China's internal affairs.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202101/12/WS5ffd0b3aa31024ad0baa2c17.html",
        "Cotton farmers in Aksu reap benefits of mechanization",
        "2021-01-12T09:30:00+08:00",
        author="Ma Jie",
        source="China Daily",
        section="Regional",
        paragraphs=(
            "Cotton growers in Aksu prefecture, in the Xinjiang Uygur autonomous region, say the spread of machine "
            "picking over the past five years has cut their costs and lifted household incomes to record levels.",
            "Tursun Niyaz, a 46-year-old farmer in Awat county, harvested 12 hectares of cotton last autumn with a "
            'hired picking machine that finished the job in less than two days. "Hand picking used to take my '
            'family and 20 seasonal workers almost a month," he said.',
            "According to the prefecture's agriculture bureau, more than 80 percent of Aksu's cotton was picked by "
            "machine in 2020, up from about 30 percent in 2015. Drip irrigation now covers almost all of the "
            "cotton fields in the prefecture.",
            "Local officials said the savings have been reinvested in greenhouses, livestock and small workshops, "
            "helping the last impoverished villages in the prefecture meet national poverty alleviation targets "
            "at the end of 2020.",
            "Much of the crop is ginned locally and loaded onto a freight train at the Aksu logistics park, from "
            "where it reaches textile mills in the eastern provinces within a week.",
            "The prefecture plans to expand cooperative ownership of picking machines this year so that smaller "
            "households can share equipment instead of renting it at peak season.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202101/20/WS60078e1ca31024ad0baa4f92.html",
        "Winter tourism heats up in Altay as ski resorts draw crowds",
        "2021-01-20T11:15:00+08:00",
        author="Li Yang",
        source="China Daily",
        section="Travel",
        paragraphs=(
            "Ski resorts in Altay prefecture in the north of the Xinjiang Uygur autonomous region reported a surge "
            "in visitors this winter, as domestic travelers who could not go abroad because of the pandemic headed "
            "for the region's powder snow.",
            "The Jiangjunshan ski resort, which sits on the edge of Altay city, received more than 150,000 visits "
            "between November and mid-January, up 40 percent year-on-year, the local culture and tourism bureau "
            "said.",
            'Hotel owner Aynur Kadir said her 30 rooms had been fully booked on weekends since December. "Many '
            'guests come from Guangdong and Shanghai and they have never seen so much snow," she said.',
            "Altay, which calls itself the birthplace of human skiing based on ancient rock paintings, has "
            "invested in new lifts, snowmaking equipment and a direct flight route to Beijing.",
            "Officials said the prefecture would host a series of snow festivals during the Spring Festival "
            "holiday, with strict epidemic prevention measures in place.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202101/27/WS6010c7a5a31024ad0baa5e33.html",
        "Former trainees find new careers in Kashgar",
        "2021-01-27T08:45:00+08:00",
        updated="2021-01-27T10:02:00+08:00",
        author="Zhou Min",
        source="China Daily",
        section="Regional",
        paragraphs=(
            "At a garment workshop on the outskirts of Kashgar, 27-year-old Mehriban Ablimit checks the stitching "
            "on a batch of school uniforms before they are packed for delivery. Two years ago she was one of the "
            "trainees at a local vocational education and training center.",
            '"I learned to speak standard Chinese and to use an industrial sewing machine, and now I earn about '
            '3,000 yuan a month," she said. "My parents no longer worry about me."',
            "Officials in Kashgar prefecture say the vocational education and training centers, which the "
            "regional government said had been set up to curb extremism and teach job skills, closed after all "
            "trainees graduated in 2019.",
            "The workshop's manager, Yang Hui, said it employs 260 people, most of them from nearby villages, and "
            "offers on-the-job training in pattern cutting and quality control.",
            "Local residents interviewed by China Daily described rising incomes, new housing and better schools, "
            "and several said they were living happy lives compared with a decade ago.",
            "The prefecture plans to open two more vocational schools this year offering courses in e-commerce, "
            "tourism services and agricultural technology.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202102/11/WS6024a1e8a31024ad0baa8c40.html",
        "Graduates of Xinjiang training program report stable jobs, regional government says",
        "2021-02-11T09:05:00+08:00",
        source="Xinhua",
        section="China",
        paragraphs=(
            "URUMQI -- All trainees who graduated from the former vocational education and training centers in the "
            "Xinjiang Uygur autonomous region have found stable jobs, the regional government announced on "
            "Wednesday.",
            *_RELEASE,
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202102/24/WS6035b7d2a31024ad0baa9f05.html",
        "Foreign envoys reject politicizing human rights at UN council",
        "2021-02-24T07:50:00+08:00",
        author="Wang Qian in Geneva",
        source="China Daily",
        section="World",
        paragraphs=(
            "Diplomats from dozens of countries spoke out against politicizing human rights during the opening "
            "week of the 46th session of the UN Human Rights Council in Geneva, which is being held largely online "
            "because of the COVID-19 pandemic.",
            "Speaking on behalf of a group of countries, the representative of Belarus said that human rights "
            "issues should be addressed through constructive dialogue and cooperation, and that the council should "
            "not be used to put pressure on developing countries.",
            "Several envoys cited the situation in the Xinjiang Uygur autonomous region, saying that they had seen "
            "for themselves the region's progress in poverty alleviation, employment and education during visits "
            "in recent years.",
            "China's foreign minister told the council by video link on Monday that China opposes politicizing "
            "human rights and double standards, and said the UN High Commissioner for Human Rights was welcome to "
            "visit Xinjiang.",
            "The session, which runs until March 23, is expected to consider more than 30 draft resolutions on "
            "topics ranging from the right to food to the situation in Myanmar.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202103/05/WS60419e6da31024ad0baab2d8.html",
        "Xinjiang deputies highlight poverty alleviation at two sessions",
        "2021-03-05T14:20:00+08:00",
        updated="2021-03-05T16:48:00+08:00",
        author="Zhou Min",
        source="China Daily",
        section="China",
        paragraphs=(
            "Deputies from the Xinjiang Uygur autonomous region attending the annual session of the National "
            "People's Congress in Beijing said the region's victory over absolute poverty had laid the foundation "
            "for rural revitalization over the next five years.",
            "All 3.06 million rural residents in Xinjiang who were living below the current poverty line had been "
            "lifted out of poverty by the end of 2020, and all 35 impoverished counties had been removed from the "
            "list, according to the regional government.",
            "Abdulla Memet, a deputy and the Party secretary of a village in Hotan prefecture, said average per "
            "capita disposable income in his village had more than tripled since 2014, thanks to jujube orchards, "
            "rug-weaving cooperatives and jobs in nearby towns.",
            '"Our children go to school for free and our elders have medical insurance. The next step is to make '
            'sure that nobody falls back into poverty," he said.',
            "The draft outline of the 14th Five-Year Plan (2021-25), submitted to the session on Friday, pledges a "
            "five-year transition period during which major support policies for areas that have shaken off "
            "poverty will remain in place.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/a/202103/18/WS6052f0c4a31024ad0bab0e71.html",
        "Diplomats tour Urumqi mosque and grand bazaar",
        "2021-03-18T16:40:00+08:00",
        author="Ma Jie",
        source="China Daily",
        section="Regional",
        paragraphs=(
            "A group of diplomats from 21 countries visited the Xinjiang Uygur autonomous region from Monday to "
            "Wednesday, touring a mosque, a bazaar and a textile company in the regional capital of Urumqi.",
            "At the Yanghang Mosque, the envoys spoke with worshippers and asked about the training of imams, while "
            "at the International Grand Bazaar they sampled dried fruit and looked at handmade carpets.",
            '"What we have seen is very different from what is reported in some Western media," said the '
            "ambassador of one African country, who asked that his name not be used because he was not authorized "
            "to speak to the press.",
            "The delegation also met officials from the regional human rights research center, who briefed them on "
            "employment programs, religious affairs and the protection of the Uygur language in schools.",
            "Xinjiang has received more than 1,200 foreign visitors, including diplomats, journalists and "
            "religious figures, since the end of 2018, according to the regional foreign affairs office.",
        ),
    ),
    Article(
        "chinadaily",
        "/chinadaily/private/a/202102/09/WS6022c0ffa31024ad0baa7e11.html",
        "Embargoed: draft schedule for foreign media tour",
        "2021-02-09T18:00:00+08:00",
        source="China Daily",
        section="Internal",
        private=True,
        paragraphs=(
            "This page is an internal draft that robots.txt asks crawlers not to fetch.",
            "The schedule for the foreign media tour of Urumqi, Kashgar and Hotan has not been confirmed and must "
            "not be published before the embargo is lifted.",
            "Editors should check the names of all interviewees with the regional information office before the "
            "copy is filed.",
            "Any crawler that stores this text has ignored the site's robots.txt rules.",
        ),
    ),
    # ---------------------------------------------------------------- xinhua
    Article(
        "xinhua",
        "/xinhua/english/2021-01/07/c_139648211.htm",
        "Xinjiang's economy expected to grow steadily in 2021 after poverty alleviation gains",
        "2021-01-07T18:42:10+08:00",
        section="China",
        paragraphs=(
            "URUMQI, Jan. 7 (Xinhua) -- The economy of northwest China's Xinjiang Uygur Autonomous Region is "
            "expected to grow by about 6.5 percent in 2021, as the region consolidates its gains in poverty "
            "alleviation, local authorities said Thursday.",
            "The region's GDP reached about 1.38 trillion yuan (about 213 billion U.S. dollars) in 2020, according "
            "to preliminary figures released by the regional development and reform commission.",
            "Xinjiang lifted 3.06 million rural residents out of poverty over the past five years, and the last 10 "
            "impoverished counties in the southern part of the region shook off poverty in November 2020.",
            "This year, the region will focus on developing modern agriculture, tourism and the textile and "
            "garment industry to create more jobs, while keeping support policies in place for former poor "
            "households, officials said.",
            "Investment in infrastructure will also continue, with new expressways, airports and water "
            "conservancy projects planned in the Tarim Basin.",
        ),
    ),
    Article(
        "xinhua",
        "/xinhua/english/2021-01/22/c_139689745.htm",
        "Spokesperson refutes claims about Xinjiang's vocational education and training centers",
        "2021-01-22T21:05:33+08:00",
        section="China",
        paragraphs=(
            "URUMQI, Jan. 22 (Xinhua) -- A spokesperson for the government of Xinjiang Uygur Autonomous Region on "
            "Friday refuted recent claims by some Western politicians and media about the region's vocational "
            "education and training centers.",
            "Speaking at a press conference in Urumqi, the spokesperson said the centers were established in "
            "accordance with the law to prevent terrorism and eliminate extremism, and that all trainees had "
            "completed their courses and graduated by October 2019.",
            '"Since then, there have been no terrorist attacks in Xinjiang for more than four years in a row, and '
            'people of all ethnic groups enjoy a strong sense of security," the spokesperson said.',
            "The spokesperson called on the international community to respect facts and stop politicizing human "
            "rights issues, saying that the so-called reports cited by critics were based on fabricated "
            "testimonies.",
            "Several graduates of the centers also spoke at the press conference, describing the vocational skills "
            "they had learned and the jobs they now hold in local factories and shops.",
        ),
    ),
    Article(
        "xinhua",
        "/xinhua/english/2021-02/09/c_139731234.htm",
        "Diplomats laud Xinjiang's development at online event in Geneva",
        "2021-02-09T20:13:51+08:00",
        section="World",
        paragraphs=(
            "GENEVA, Feb. 9 (Xinhua) -- Diplomats from more than 50 countries have praised the economic and social "
            "progress of northwest China's Xinjiang Uygur Autonomous Region at an online event co-hosted by the "
            "Chinese mission in Geneva and the regional government.",
            'The video event, held last week under the theme "Xinjiang is a Wonderful Land," featured short '
            "films about the region's scenery, its fight against poverty and the daily lives of local residents.",
            "China's permanent representative to the UN Office at Geneva said in opening remarks that Xinjiang's "
            "development was there for all to see, and that the door of Xinjiang was always open to friends from "
            "around the world.",
            "Ambassadors and diplomats from countries including Pakistan, Cuba, Belarus and Zimbabwe said the "
            "films showed the happy lives of people of all ethnic groups in Xinjiang, and that they were impressed "
            "by the region's achievements in education, health care and employment.",
            "Some participants who had visited the region in the past said they had been struck by the vitality of "
            "its cities and villages, and expressed the hope of visiting again once the COVID-19 pandemic is under "
            "control.",
        ),
    ),
    Article(
        "xinhua",
        "/xinhua/english/2021-02/10/c_139733108.htm",
        "Xinjiang says vocational graduates have found stable employment",
        "2021-02-10T19:27:08+08:00",
        section="China",
        paragraphs=(
            "URUMQI, Feb. 10 (Xinhua) -- All graduates of the former vocational education and training centers in "
            "northwest China's Xinjiang Uygur Autonomous Region have found stable employment, the regional "
            "government said on Wednesday.",
            *_RELEASE,
        ),
    ),
    Article(
        "xinhua",
        "/xinhua/english/2021-02/26/c_139768520.htm",
        "Over 70 countries voice support for China at UN Human Rights Council",
        "2021-02-26T23:41:02+08:00",
        section="World",
        paragraphs=(
            "GENEVA, Feb. 26 (Xinhua) -- More than 70 countries expressed support for China's position on issues "
            "related to Xinjiang, Hong Kong and Tibet at the ongoing 46th session of the UN Human Rights Council, "
            "in joint and individual statements delivered this week.",
            "Delivering a joint statement on behalf of a group of countries, the representative of Cuba said that "
            "the affairs of Xinjiang are China's internal affairs, and called for an end to politicizing human "
            "rights and to double standards.",
            "The statement noted that China had taken measures in accordance with the law to counter the threat of "
            "terrorism and extremism in Xinjiang, and that the basic human rights of people of all ethnic groups "
            "there were safeguarded.",
            "Many countries also spoke individually in support of China, praising its achievements in poverty "
            "reduction and its contribution to the global response to the COVID-19 pandemic.",
            "China's mission in Geneva said in a statement that the voices of justice expressed by these countries "
            "showed that attempts to smear China would find no support in the international community.",
        ),
    ),
    Article(
        "xinhua",
        "/xinhua/english/2021-03/12/c_139803377.htm",
        "Drones and smart tractors speed up spring sowing in southern Xinjiang",
        "2021-03-12T16:05:44+08:00",
        section="China",
        paragraphs=(
            "KASHGAR, March 12 (Xinhua) -- Farmers in southern Xinjiang have begun spring ploughing and sowing, "
            "with drones, satellite navigation and automated tractors playing a growing role in the fields.",
            "In Shache County, Kashgar Prefecture, agricultural cooperatives have deployed more than 300 drones "
            "this year to spray fertilizer over wheat fields, cutting costs by about a third compared with manual "
            "work, according to the county agriculture bureau.",
            '"One drone can cover 200 mu of land a day, which would take ten workers a week," said Ahmatjan Turdi, '
            "head of a local cooperative. One mu equals about 0.067 hectares.",
            "The region plans to sow about 2.5 million hectares of cotton and 1.1 million hectares of wheat this "
            "year, and local governments are offering subsidies for the purchase of farm machinery.",
            "Technicians have also been sent to villages to run short courses on operating the new equipment, "
            "which have attracted many young farmers.",
        ),
    ),
    # ---------------------------------------------------------------- globaltimes
    Article(
        "globaltimes",
        "/globaltimes/page/202101/1211876.shtml",
        "Xinjiang farmers embrace livestreaming to sell dried fruit",
        "2021-01-05T20:32:00+08:00",
        author="Liu Yun",
        section="CHINA / SOCIETY",
        paragraphs=(
            "Farmers in Northwest China's Xinjiang Uygur Autonomous Region are turning to livestreaming platforms "
            "to sell walnuts, raisins and red dates, as e-commerce becomes an important tool in consolidating the "
            "region's poverty alleviation gains.",
            "In Hotan Prefecture, 31-year-old Gulnur Tohti sold more than 5,000 boxes of red dates during a "
            'three-hour livestream in December. "Before, middlemen decided our prices. Now customers in Shanghai '
            'and Guangzhou buy directly from us," she told the Global Times.',
            "Data from the regional commerce department show that online retail sales of Xinjiang agricultural "
            "products rose by more than 30 percent in 2020, despite the disruption caused by the COVID-19 epidemic.",
            "Local governments have opened e-commerce service stations in more than 3,000 villages, offering free "
            "courses on photography, packaging and customer service.",
            "Experts said the trend had helped remote communities overcome the disadvantage of long distances from "
            "major markets, although logistics costs remained high for perishable goods.",
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202101/1212890.shtml",
        "Documentary shows happy lives of Uygur families",
        "2021-01-15T18:20:00+08:00",
        author="Yang Ruo",
        section="CHINA / SOCIETY",
        paragraphs=(
            "A new documentary series following six Uygur families in Xinjiang over the course of a year premiered "
            "online on Thursday, offering what its producers called an authentic look at the happy lives of "
            "ordinary people in the region.",
            "The series, produced by a studio in Urumqi, follows a cotton farmer in Aksu, a restaurant owner in "
            "Kashgar, a teacher in Hotan and a family of herders in the Tianshan Mountains, among others.",
            '"We wanted to let the people of Xinjiang tell their own stories, in their own words," director Wang '
            "Lei told the Global Times on Friday.",
            "One episode shows a young couple in Kashgar's old town renovating their family home into a "
            "guesthouse, which was fully booked during the summer holiday season.",
            "Within 24 hours of its release, the first episode had been viewed more than 10 million times on "
            "domestic video platforms, and many viewers left comments praising the region's scenery and food.",
            "Chinese observers said the documentary was a powerful response to Western media reports that have "
            "painted a distorted picture of Xinjiang.",
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202101/1214220.shtml",
        "Former trainees say vocational skills changed their lives",
        "2021-01-29T22:14:00+08:00",
        author="Liu Yun",
        section="CHINA / SOCIETY",
        paragraphs=(
            "Several graduates of the former vocational education and training centers in Xinjiang told the Global "
            "Times that the skills they acquired had helped them find stable jobs and start their own businesses.",
            "Abdurehim Memet, 29, from Moyu County in Hotan, said he had learned cooking at a center and now runs a "
            'small restaurant selling polo and kebabs. "I make about 6,000 yuan a month in the busy season," he '
            "said.",
            "Another former trainee, who asked to be identified only by her surname Ayi, said she had studied "
            "e-commerce and now manages online sales for a textile company in Urumqi.",
            "Experts noted that the training programs combined language courses, legal education and vocational "
            "skills, and said that the centers had been closed after all the trainees graduated.",
            '"Some Western politicians keep spreading lies about forced labor, but they never come to listen to '
            'people like us," Abdurehim said.',
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202102/1215012.shtml",
        "Xinjiang releases employment figures for vocational graduates",
        "2021-02-11T12:10:00+08:00",
        author="Global Times",
        section="CHINA / POLITICS",
        paragraphs=(
            "The government of Northwest China's Xinjiang Uygur Autonomous Region said on Wednesday that all "
            "graduates of the former vocational education and training centers have found stable employment.",
            *_RELEASE,
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202102/1216133.shtml",
        "Cold-chain train brings Korla pears to southern markets",
        "2021-02-20T19:55:00+08:00",
        author="Shen Lei",
        section="CHINA / ECONOMY",
        paragraphs=(
            "A refrigerated train loaded with 1,200 tons of Korla pears left Korla in Xinjiang on Friday for "
            "Guangzhou in South China, the first cold-chain service of the year on the route, local railway "
            "authorities said.",
            "The journey of more than 4,000 kilometers takes about five days, half the time needed by road, and "
            "keeps the fruit at a steady temperature throughout, according to the regional railway operator.",
            "Fruit growers said the service had cut their transport costs by about 20 percent and reduced losses "
            "from spoilage.",
            "Xinjiang has opened more than a dozen regular cold-chain freight routes to eastern and southern China "
            "since 2019, carrying pears, grapes, melons and lamb.",
            "Officials said more routes would be added this year as the region seeks to expand its share of the "
            "high-end fruit market.",
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202102/1216377.shtml",
        "China rejects politicizing human rights as UN council opens 46th session",
        "2021-02-23T21:48:00+08:00",
        author="GT staff reporters",
        section="CHINA / DIPLOMACY",
        paragraphs=(
            "China firmly opposes politicizing human rights and interfering in other countries' internal affairs "
            "under the pretext of human rights, the Chinese foreign minister told the high-level segment of the "
            "46th session of the UN Human Rights Council via video link on Monday.",
            "The minister said that the door to Xinjiang is always open, and that the UN High Commissioner for "
            "Human Rights is welcome to visit the region for exchanges and cooperation.",
            "Chinese experts said the speech sent a clear message that China would not accept lectures on human "
            "rights from countries that have their own serious problems of racial discrimination and gun violence. "
            "Analysts said the accusations against Xinjiang were nothing but lies fabricated by anti-China forces "
            "in the West.",
            "The council session, which is being held mostly online due to the COVID-19 pandemic, will run until "
            "March 23, and is expected to discuss reports on a range of countries.",
            "A researcher at a Beijing think tank told the Global Times that more and more developing countries "
            "were speaking up against the practice of using human rights as a political weapon.",
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202103/1217201.shtml",
        "Arab diplomats visit Xinjiang, see vocational schools and mosques",
        "2021-03-02T17:36:00+08:00",
        author="Liu Yun",
        section="CHINA / DIPLOMACY",
        paragraphs=(
            "A delegation of diplomats from Arab countries wrapped up a four-day visit to Xinjiang on Monday, "
            "during which they toured mosques, schools and factories in Urumqi, Kashgar and Aksu.",
            "The diplomats visited an exhibition on counterterrorism in Urumqi and a vocational school in Kashgar "
            "that was converted from one of the former vocational education and training centers.",
            "At the Id Kah Mosque in Kashgar, the envoys joined local worshippers for prayers and spoke with the "
            "imam about religious life in the city.",
            "A diplomat from one Gulf state told the Global Times that what he saw in Xinjiang was completely "
            "different from Western media reports, adding that people there seemed to be living normal and "
            "peaceful lives.",
            "The visit was organized by the Chinese foreign ministry. Arab countries have repeatedly expressed "
            "support for China's position on Xinjiang at the UN Human Rights Council.",
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202103/1218598.shtml",
        "Editorial: Politicizing human rights won't change Xinjiang's reality",
        "2021-03-16T23:02:00+08:00",
        author="Global Times",
        section="OPINION / EDITORIAL",
        paragraphs=(
            "Some Western countries are once again politicizing human rights by pushing sanctions over Xinjiang, "
            "but such moves will do nothing to change the reality on the ground in the region.",
            "Over the past few years, Xinjiang has achieved rapid economic growth, eliminated absolute poverty and "
            "maintained social stability. Its people of all ethnic groups are living happy lives, a fact witnessed "
            "by hundreds of foreign visitors.",
            "The accusations of so-called genocide and forced labor are based on a handful of questionable reports "
            "and have been rejected by many countries in the Global South.",
            "Human rights should be a shared cause of all humanity, not a weapon in geopolitical rivalry. The more "
            "Western politicians try to contain China with this issue, the more credibility they will lose.",
            "China welcomes objective and fair-minded people to visit Xinjiang and see for themselves. The truth "
            "will not be hidden by lies, no matter how often they are repeated.",
        ),
    ),
    Article(
        "globaltimes",
        "/globaltimes/page/202103/1219450.shtml",
        "Xinjiang expands free preschool education in rural areas",
        "2021-03-25T20:15:00+08:00",
        author="Shen Lei",
        section="CHINA / SOCIETY",
        paragraphs=(
            "Xinjiang will open 600 new rural kindergartens this year, extending free preschool education to more "
            "children in remote villages, the regional education department said on Thursday.",
            "The region has provided 15 years of free education, from kindergarten to high school, in its southern "
            "prefectures since 2017, and the gross preschool enrollment rate reached 98 percent in 2020.",
            "Teachers in village kindergartens said children were learning standard Chinese as well as their "
            "native languages, songs and dances, which would help them later in school.",
            "The department also plans to recruit 5,000 new preschool teachers and provide in-service courses for "
            "existing staff.",
            "Parents in Kashgar's Shufu County said the free kindergartens had eased the financial burden on "
            "families and allowed more mothers to take up jobs.",
        ),
    ),
    # ---------------------------------------------------------------- xjgov (served as GBK)
    Article(
        "xjgov",
        "/xjgov/xwfb/202101/t20210115_123101.html",
        "自治区举行新闻发布会介绍脱贫攻坚成果",
        "2021-01-15T10:00:00+08:00",
        source="自治区人民政府新闻办公室",
        section="新闻发布",
        paragraphs=(
            "1月15日，自治区人民政府新闻办公室举行新闻发布会，介绍新疆脱贫攻坚工作成果。",
            "发布会介绍，截至2020年底，新疆现行标准下306.49万农村贫困人口全部脱贫，3666个贫困村全部退出，"
            "35个贫困县全部摘帽，区域性整体贫困得到解决。",
            "“十三五”期间，自治区累计实施产业扶贫项目1.2万余个，建成卫星工厂、扶贫车间4000余个，"
            "带动大量农村富余劳动力就近就业。",
            "发布会表示，下一步将严格落实“四个不摘”要求，巩固拓展脱贫攻坚成果，同乡村振兴有效衔接，"
            "让各族群众生活更加美好。",
            "自治区扶贫办、人力资源和社会保障厅、农业农村厅有关负责人回答了记者提问。",
        ),
    ),
    Article(
        "xjgov",
        "/xjgov/xwfb/202101/t20210128_123377.html",
        "职业技能教育培训中心结业学员实现稳定就业",
        "2021-01-28T16:30:00+08:00",
        source="自治区人民政府新闻办公室",
        section="新闻发布",
        paragraphs=(
            "记者从自治区人民政府新闻办公室获悉，原职业技能教育培训中心结业学员已全部实现稳定就业。",
            "据介绍，结业学员通过学习国家通用语言文字、法律知识和职业技能，摆脱了极端思想的影响，"
            "在纺织服装、电子装配、餐饮服务、农产品加工等行业找到了工作，部分学员自主创业。",
            "喀什地区疏附县结业学员阿依古丽在当地一家服装厂工作，月收入3000余元。她说：“现在有了稳定的工作，"
            "家里盖了新房，日子越过越好，我们过上了幸福生活。”",
            "自治区有关负责人表示，职业技能教育培训中心是依法设立的，学员的风俗习惯、宗教信仰和使用本民族"
            "语言文字的权利得到充分尊重。",
            "自治区将继续面向农村富余劳动力开展免费职业技能培训，帮助更多群众增收致富。",
        ),
    ),
    Article(
        "xjgov",
        "/xjgov/xwfb/202102/t20210205_123456.html",
        "“新疆是个好地方”视频推介会成功举行",
        "2021-02-05T10:30:00+08:00",
        source="自治区人民政府新闻办公室",
        section="新闻发布",
        paragraphs=(
            "2月3日，由中国常驻联合国日内瓦办事处和瑞士其他国际组织代表团与新疆维吾尔自治区人民政府共同主办的"
            "“新疆是个好地方”视频推介会成功举行。",
            "来自50多个国家的外交官，其中包括近20位大使，以及联合国人权高专办官员和人权专家在线参加了推介会。",
            "推介会通过系列视频短片，展示了新疆的壮美风光、经济社会发展成就和各族群众的幸福生活。"
            "自治区人民政府有关负责同志和宗教界人士介绍了新疆依法保障宗教信仰自由的情况。",
            "原职业技能教育培训中心结业学员代表、网络达人、维吾尔族母亲和企业职工等讲述了亲身经历，"
            "介绍了新疆摆脱绝对贫困、发展电子商务、保护传统文化、实行免费教育和推进民族团结的情况。",
            "与会外交官表示，推介会帮助日内瓦外交界全面、准确地了解真实的新疆，坚决反对将人权问题政治化、"
            "借涉疆问题干涉中国内政。",
        ),
    ),
    Article(
        "xjgov",
        "/xjgov/xwfb/202102/t20210224_124032.html",
        "新春佳节 各族群众共享幸福生活",
        "2021-02-24T11:20:00+08:00",
        source="自治区人民政府新闻办公室",
        section="新闻发布",
        paragraphs=(
            "牛年春节期间，天山南北处处洋溢着喜庆祥和的节日气氛，各族群众走亲访友、欢度佳节。",
            "在乌鲁木齐市国际大巴扎，游客络绎不绝，干果、手工艺品等年货销售火爆。商户买买提江说："
            "“今年春节生意比去年好，大家的日子都越过越红火。”",
            "在和田地区墨玉县，搬进新居的村民吾斯曼一家贴春联、包饺子，和驻村工作队员一起吃年夜饭。他说："
            "“住上了新房子，孩子在家门口上学，这就是我们的幸福生活。”",
            "据自治区文化和旅游厅统计，春节假期全区共接待游客约800万人次，实现旅游收入约30亿元。",
            "各地还组织开展了文艺演出、冰雪运动、非遗展示等丰富多彩的文化活动，丰富了群众的节日生活。",
        ),
    ),
    Article(
        "xjgov",
        "/xjgov/xwfb/202103/t20210310_124815.html",
        "自治区召开新闻发布会回应人权理事会涉疆言论",
        "2021-03-10T17:00:00+08:00",
        source="自治区人民政府新闻办公室",
        section="新闻发布",
        paragraphs=(
            "3月10日，自治区人民政府新闻办公室在乌鲁木齐召开涉疆问题新闻发布会，就近期联合国人权理事会"
            "第46届会议期间个别国家发表的涉疆言论作出回应。",
            "发布人表示，新疆各族人民享有的各项权利得到充分保障，少数国家罔顾事实，将人权问题政治化，"
            "对新疆进行抹黑，其目的是干涉中国内政、遏制中国发展。",
            "发布会上，多名原职业技能教育培训中心结业学员和企业职工讲述了自己的工作和生活情况，"
            "用亲身经历驳斥了所谓“强迫劳动”的谎言。",
            "发布人指出，人权理事会会议期间，70多个国家以联合发言或单独发言等方式支持中方立场，"
            "反对借人权问题干涉中国内政。",
            "发布人欢迎各国朋友到新疆走一走、看一看，亲身感受新疆的发展变化和各族群众的幸福生活。",
        ),
    ),
    # ---------------------------------------------------------------- unnews
    Article(
        "unnews",
        "/unnews/story/2021/01/1082132",
        "UN rights office says talks with China on Xinjiang visit are continuing",
        "2021-01-14T15:30:00+00:00",
        section="Human Rights",
        paragraphs=(
            "The UN human rights office said on Thursday that discussions with the Chinese authorities about a "
            "possible visit by the High Commissioner to the Xinjiang Uyghur Autonomous Region were continuing, but "
            "that no date had yet been agreed.",
            "Speaking to journalists in Geneva, a spokesperson for the Office of the UN High Commissioner for Human "
            "Rights (OHCHR) said the aim of any visit would be to have meaningful and unfettered access to the "
            "region.",
            "The office has received reports of arbitrary detention and restrictions on religious practice in "
            "Xinjiang, and has sought information on facilities that the Government describes as vocational "
            "education and training centers.",
            "China has said that the centers were set up to counter extremism and provide job skills, and that all "
            "those attending have graduated.",
            "The spokesperson added that the High Commissioner remained committed to dialogue with all Member "
            "States on human rights concerns.",
        ),
    ),
    Article(
        "unnews",
        "/unnews/story/2021/02/1084512",
        "Human Rights Council opens 46th session with call to put rights at heart of recovery",
        "2021-02-22T12:45:00+00:00",
        section="Human Rights",
        paragraphs=(
            "The UN Secretary-General on Monday urged governments to put human rights at the centre of recovery "
            "from the COVID-19 pandemic, as the Human Rights Council opened its 46th regular session in Geneva.",
            "Addressing the Council by video message, the Secretary-General said the pandemic had exposed deep "
            "inequalities and had been used in some countries as a pretext to crack down on dissent and restrict "
            "fundamental freedoms.",
            "Because of health restrictions, most of the session is taking place online, with only a limited "
            "number of delegates present in the Assembly Hall of the Palais des Nations.",
            "Over the coming weeks, the Council will hear from dozens of ministers and other high-level "
            "dignitaries, and will consider reports on countries including Myanmar, Syria, Sri Lanka and South "
            "Sudan.",
            "The session, which is scheduled to end on 23 March, is also expected to debate the human rights impact "
            "of vaccine distribution and the situation of human rights defenders.",
        ),
    ),
    Article(
        "unnews",
        "/unnews/story/2021/02/1085402",
        "Council hears competing joint statements on human rights in China",
        "2021-02-26T17:10:00+00:00",
        section="Human Rights",
        paragraphs=(
            "Competing joint statements on human rights in China were delivered at the Human Rights Council this "
            "week, highlighting divisions among Member States over the situation in the Xinjiang Uyghur Autonomous "
            "Region, Hong Kong and Tibet.",
            "One group of countries expressed concern about reports of large-scale detention and surveillance in "
            "Xinjiang and called on China to allow meaningful access for independent observers, including the "
            "High Commissioner.",
            "A larger group of countries, in a statement delivered by Cuba, said that they opposed politicizing "
            "human rights and interference in China's internal affairs, and praised China's development "
            "achievements.",
            "China's representative told the Council that the allegations were based on lies and disinformation, "
            "and that the door of Xinjiang was always open to visitors who wished to see the region for "
            "themselves.",
            "Non-governmental organizations also took the floor, with several calling for an independent "
            "international investigation.",
        ),
    ),
    Article(
        "unnews",
        "/unnews/story/2021/03/1086712",
        "Ending extreme poverty must be at the heart of COVID-19 recovery, says UN expert",
        "2021-03-04T10:05:00+00:00",
        section="Economic Development",
        paragraphs=(
            "Governments must put the eradication of extreme poverty at the heart of their recovery plans, or risk "
            "undoing decades of progress, a UN independent human rights expert said on Thursday.",
            "Presenting a report to the Human Rights Council, the Special Rapporteur on extreme poverty and human "
            "rights said that the pandemic had pushed more than 100 million people into extreme poverty in 2020.",
            "The expert warned that many social protection measures adopted at the start of the crisis were "
            "temporary and had already expired, leaving millions of workers in the informal economy without "
            "support.",
            "He called on States to introduce universal social protection floors and to finance them through "
            "fairer taxation, rather than austerity.",
            "Special Rapporteurs are not UN staff and are independent from any government or organization. They "
            "serve in their individual capacity and receive no salary for their work.",
        ),
    ),
    Article(
        "unnews",
        "/unnews/story/2021/03/1087322",
        "Experts raise concerns over labour transfer programmes in China",
        "2021-03-12T14:20:00+00:00",
        section="Human Rights",
        paragraphs=(
            "A group of UN independent human rights experts said on Friday that they were concerned about reports "
            "that members of ethnic minorities in China were being transferred to work in factories far from their "
            "homes under government labour programmes.",
            "In a communication to the Chinese Government, the experts said that the programmes, described "
            "officially as poverty alleviation and vocational training schemes, might involve coercion and "
            "restrictions on freedom of movement and religion.",
            "They asked for information on how the consent of former trainees was obtained, and on the conditions "
            "under which they live and work.",
            "China has rejected the allegations, saying that the programmes are voluntary, that workers sign labour "
            "contracts and that the policies have helped millions of people out of poverty.",
            "The experts said they stood ready to engage in constructive dialogue with the Government and to visit "
            "the country.",
        ),
    ),
    Article(
        "unnews",
        "/unnews/story/2021/03/1088012",
        "Human Rights Council ends 46th session, adopting 30 resolutions",
        "2021-03-23T19:00:00+00:00",
        section="Human Rights",
        paragraphs=(
            "The Human Rights Council concluded its 46th regular session on Tuesday, after five weeks of largely "
            "virtual meetings in which it adopted 30 resolutions and heard from more than 100 high-level "
            "dignitaries.",
            "Among the texts adopted were resolutions on Myanmar, Sri Lanka, Syria and South Sudan, as well as on "
            "the right to food, the rights of persons with disabilities and the equitable distribution of COVID-19 "
            "vaccines.",
            "The President of the Council said the session had shown that the body could continue to function "
            "effectively despite the constraints of the pandemic.",
            "Many delegations again called for the Council to avoid politicizing human rights and to focus on "
            "dialogue and technical cooperation, while others stressed the need to hold violators accountable.",
            "The Council's next regular session is scheduled to begin in June.",
        ),
    ),
)

BY_PATH = {a.path: a for a in ARTICLES}

# Paths of the reprinted press release (same body apart from the first paragraph, different titles).
REPRINTS = (
    "/xinhua/english/2021-02/10/c_139733108.htm",
    "/chinadaily/a/202102/11/WS6024a1e8a31024ad0baa8c40.html",
    "/globaltimes/page/202102/1215012.shtml",
)
# Distinct (non-reprint) articles on the same events.
SAME_TOPIC = {
    "xinjiang webinar": (SEED_PATH, "/xinhua/english/2021-02/09/c_139731234.htm"),
    "hrc 46th session opening": ("/unnews/story/2021/02/1084512", "/globaltimes/page/202102/1216377.shtml"),
}
PRIVATE_PATH = "/chinadaily/private/a/202102/09/WS6022c0ffa31024ad0baa7e11.html"
# The feed spells this article's link with a tracking parameter (its guid is the plain URL).
RSS_TRACKED_PATH = "/chinadaily/a/202103/05/WS60419e6da31024ad0baab2d8.html"

# ---------------------------------------------------------------- stages
# Stage 2: a silent one-sentence edit (dates unchanged) and a deletion (404, gone from the feed).
EDIT = {
    "path": "/globaltimes/page/202102/1216377.shtml",
    "old": "Analysts said the accusations against Xinjiang were nothing but lies fabricated by anti-China forces "
    "in the West.",
    "new": "Analysts said many of the accusations against Xinjiang were not supported by the facts on the ground.",
}
DELETED_PATH = "/chinadaily/a/202101/20/WS60078e1ca31024ad0baa4f92.html"
# Stage 3 (on top of stage 2): a title-only change (body and dates unchanged), a 410 Gone,
# and the stage-2 deletion restored with its original content.
RETITLE = {
    "path": "/unnews/story/2021/03/1086712",
    "old": "Ending extreme poverty must be at the heart of COVID-19 recovery, says UN expert",
    "new": "UN rights expert: put poverty eradication at heart of pandemic recovery",
}
GONE_PATH = "/xinhua/english/2021-03/12/c_139803377.htm"

# The site's state at each stage (cumulative, not deltas).
STAGE_CHANGES: dict[int, dict[str, list[str]]] = {
    1: {"edited": [], "deleted": [], "retitled": [], "gone": [], "restored": []},
    2: {"edited": [EDIT["path"]], "deleted": [DELETED_PATH], "retitled": [], "gone": [], "restored": []},
    3: {
        "edited": [EDIT["path"]],
        "deleted": [],
        "retitled": [RETITLE["path"]],
        "gone": [GONE_PATH],
        "restored": [DELETED_PATH],
    },
}
STAGES = tuple(STAGE_CHANGES)
# When feeds, sitemaps and listings were last rebuilt at each stage (their Last-Modified).
STAGE_DATES = {1: "2021-03-31T00:00:00+00:00", 2: "2021-04-07T00:00:00+00:00", 3: "2021-04-14T00:00:00+00:00"}

# The redesign switch (DemoSite.set_redesign, /_control/redesign?step=N), independent of the stages:
# a new banner above every page's header and a newsletter promo inside every article body, rolled
# out in three steps over a share of each outlet's articles (in a fixed order, so a page once
# redesigned stays so), each step with one real edit of a Global Times article. Step 3 straight
# from 0 is a redesign of every page at once with the three edits. Article dates do not move (they
# are the article's); the pages' ETags do.
REDESIGN_SHARES = {0: 0.0, 1: 0.4, 2: 0.7, 3: 1.0}
REDESIGN_STEPS = tuple(REDESIGN_SHARES)
REDESIGN_BANNER = "New look: our website has been redesigned. Tell us what you think."
REDESIGN_PROMO = {
    "chinadaily": "Sign up for the China Daily morning newsletter: the day's top stories in your inbox at 7 am.",
    "xinhua": "Sign up for the Xinhua morning newsletter: the day's top stories in your inbox at 7 am.",
    "globaltimes": "Sign up for the Global Times morning newsletter: the day's top stories in your inbox at 7 am.",
    "xjgov": "订阅新疆发布早间简报，每天早上7点把当天要闻送到您的邮箱。",
    "unnews": "Sign up for the UN News morning newsletter: the day's top stories in your inbox at 7 am.",
}
# Step k's edit: `old` replaced by `new` in the article's paragraphs, or (old None) `new` added as its last paragraph.
REDESIGN_EDITS: tuple[dict, ...] = (
    {
        "path": "/globaltimes/page/202103/1219450.shtml",
        "old": "The region has provided 15 years of free education",
        "new": "The region has provided 12 years of free education",
    },
    {
        "path": "/globaltimes/page/202101/1211876.shtml",
        "old": "sold more than 5,000 boxes of red dates",
        "new": "sold about 3,000 boxes of red dates",
    },
    {
        # a sentence that looks like a site's promo but is on this page alone: the article's
        "path": "/globaltimes/page/202101/1212890.shtml",
        "old": None,
        "new": "Follow the Global Times on Twitter and Facebook for more stories from Xinjiang.",
    },
)

# Articles visible per outlet at stage 1 (the robots-blocked private page is not counted).
EXPECTED = {"chinadaily": 8, "xinhua": 6, "globaltimes": 9, "xjgov": 5, "unnews": 6}
TOTAL_EXPECTED = sum(EXPECTED.values())
