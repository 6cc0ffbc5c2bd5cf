"""Deterministic filler text for the benchmark corpus: news-like English and Chinese.

Every function takes a `random.Random` so a page's text depends only on (seed, page, version).
The words are ordinary news vocabulary, written for presswatch (no text is copied from the
saved real pages): trafilatura's heuristics look at lengths, punctuation and link density, so
sentences of realistic length and shape matter more than their meaning.
"""

from __future__ import annotations

import random

PEOPLE = (
    "Wang Wei",
    "Li Na",
    "Zhang Min",
    "Chen Jie",
    "Liu Yang",
    "Maria Lopez",
    "John Carter",
    "Amina Yusuf",
    "Olga Petrova",
    "Ahmed Karimov",
    "Sarah Kim",
    "David Mensah",
    "Elena Rossi",
    "Ravi Patel",
    "Yuki Tanaka",
)
PLACES = (
    "Beijing",
    "Shanghai",
    "Urumqi",
    "Kashgar",
    "Geneva",
    "New York",
    "Brussels",
    "Minsk",
    "Vienna",
    "Nairobi",
    "Jakarta",
    "Islamabad",
    "Astana",
    "Hong Kong",
    "Guangzhou",
    "Shenzhen",
    "Lhasa",
    "Hohhot",
    "Xinjiang",
)
ORGS = (
    "the Foreign Ministry",
    "the State Council",
    "the regional government",
    "the United Nations",
    "the Human Rights Council",
    "the European Union",
    "the World Bank",
    "the ministry of commerce",
    "the press office",
    "the national statistics bureau",
    "the World Health Organization",
    "the central bank",
)
NOUNS = (
    "economy",
    "growth",
    "policy",
    "trade",
    "investment",
    "cooperation",
    "development",
    "infrastructure",
    "education",
    "training",
    "employment",
    "income",
    "agriculture",
    "industry",
    "tourism",
    "exports",
    "sanctions",
    "dialogue",
    "security",
    "stability",
    "reform",
    "poverty",
    "vaccine",
    "climate",
    "energy",
    "railway",
    "corridor",
    "project",
    "statement",
    "report",
    "survey",
    "budget",
    "market",
    "region",
    "province",
    "county",
    "village",
    "farmers",
    "workers",
    "students",
    "officials",
    "delegates",
    "experts",
    "residents",
    "companies",
    "enterprises",
    "partners",
    "negotiations",
    "agreement",
    "summit",
    "forum",
    "conference",
    "initiative",
    "strategy",
    "measures",
    "regulations",
    "rights",
    "freedom",
    "culture",
    "heritage",
    "language",
    "technology",
    "innovation",
    "internet",
    "data",
    "platform",
    "supply chain",
    "harvest",
    "cotton",
    "textiles",
    "electronics",
    "logistics",
    "healthcare",
    "hospital",
    "pandemic",
)
VERBS = (
    "said",
    "announced",
    "reported",
    "stressed",
    "noted",
    "welcomed",
    "criticized",
    "rejected",
    "urged",
    "called for",
    "pledged",
    "signed",
    "launched",
    "expanded",
    "reviewed",
    "approved",
    "discussed",
    "highlighted",
    "supported",
    "promoted",
    "improved",
    "increased",
    "reduced",
    "strengthened",
    "opened",
)
ADJECTIVES = (
    "new",
    "local",
    "regional",
    "national",
    "international",
    "economic",
    "social",
    "cultural",
    "sustainable",
    "high-quality",
    "steady",
    "rapid",
    "significant",
    "major",
    "comprehensive",
    "practical",
    "long-term",
    "bilateral",
    "multilateral",
    "vocational",
    "rural",
    "urban",
    "digital",
    "green",
    "open",
    "fair",
)
TIMES = (
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "last week",
    "this year",
    "in the first quarter",
    "since 2019",
    "over the past decade",
    "by the end of the year",
    "in recent months",
)
CONNECTORS = (
    "However,",
    "Meanwhile,",
    "In addition,",
    "According to the report,",
    "At the same time,",
    "Officials said that",
    "Analysts noted that",
    "In a statement,",
    "As a result,",
    "Earlier,",
)
HEADLINE_VERBS = (
    "boosts",
    "expands",
    "reports",
    "signs",
    "launches",
    "rejects",
    "welcomes",
    "hosts",
    "outlines",
    "marks",
    "opens",
    "calls for",
    "pledges",
    "holds",
    "reviews",
)

# Common two-character words of Chinese government and news prose.
ZH_WORDS = (
    "新闻",
    "发布",
    "经济",
    "发展",
    "合作",
    "国家",
    "人民",
    "政府",
    "地区",
    "建设",
    "社会",
    "文化",
    "教育",
    "培训",
    "就业",
    "收入",
    "农业",
    "工业",
    "旅游",
    "出口",
    "投资",
    "项目",
    "政策",
    "改革",
    "创新",
    "科技",
    "安全",
    "稳定",
    "和谐",
    "团结",
    "进步",
    "繁荣",
    "生活",
    "幸福",
    "群众",
    "干部",
    "企业",
    "市场",
    "服务",
    "管理",
    "质量",
    "水平",
    "能力",
    "基础",
    "设施",
    "交通",
    "铁路",
    "公路",
    "能源",
    "环境",
    "生态",
    "保护",
    "资源",
    "产业",
    "结构",
    "调整",
    "推进",
    "实施",
    "落实",
    "加强",
    "提高",
    "促进",
    "支持",
    "鼓励",
    "开展",
    "举行",
    "召开",
    "会议",
    "活动",
    "代表",
    "专家",
    "学生",
    "工人",
    "农民",
    "居民",
    "家庭",
    "医疗",
    "卫生",
    "疫情",
    "防控",
    "疫苗",
    "健康",
    "体育",
    "艺术",
    "传统",
    "民族",
    "语言",
    "历史",
    "未来",
    "目标",
    "任务",
    "成果",
    "成绩",
    "经验",
    "问题",
    "措施",
    "方案",
    "计划",
    "规划",
    "标准",
    "制度",
    "法律",
    "权利",
    "自由",
    "新疆",
    "乌鲁木齐",
    "喀什",
    "北京",
    "上海",
    "全国",
    "全区",
    "各地",
    "今年",
    "去年",
    "近年来",
    "目前",
)
ZH_CONNECTORS = ("据介绍，", "与此同时，", "此外，", "会上，", "记者了解到，", "据统计，", "他表示，", "报道称，")


def _sentence(rng: random.Random) -> str:
    parts = []
    if rng.random() < 0.3:
        parts.append(rng.choice(CONNECTORS))
    subject = rng.choice((rng.choice(PEOPLE), rng.choice(ORGS), f"the {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"))
    parts.append(subject)
    parts.append(rng.choice(VERBS))
    for _ in range(rng.randint(1, 3)):
        parts.append(rng.choice(("the", "a", "its", "their", "more", "further")))
        if rng.random() < 0.6:
            parts.append(rng.choice(ADJECTIVES))
        parts.append(rng.choice(NOUNS))
        parts.append(rng.choice(("in", "for", "with", "of", "across", "and", "to support")))
    parts.append(rng.choice(PLACES))
    if rng.random() < 0.5:
        parts.append(rng.choice(TIMES))
    if rng.random() < 0.25:
        parts.append(f", with {rng.randint(2, 98)} percent of {rng.choice(NOUNS)} up from {rng.randint(1990, 2020)}")
    text = " ".join(parts).replace(" ,", ",")
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 6)) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(*sentences)))


def headline(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    return (
        f"{place} {rng.choice(HEADLINE_VERBS)} {rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} "
        f"{rng.choice(('plan', 'programme', 'projects', 'talks', 'measures', 'growth', 'forum'))}"
    )


def zh_paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    out = []
    for _ in range(rng.randint(*sentences)):
        words = [rng.choice(ZH_WORDS) for _ in range(rng.randint(8, 22))]
        for i in range(3, len(words) - 2, rng.randint(4, 7)):
            words[i] += "，"
        lead = rng.choice(ZH_CONNECTORS) if rng.random() < 0.3 else ""
        out.append(lead + "".join(words) + "。")
    return "".join(out)


def zh_headline(rng: random.Random) -> str:
    return "".join(rng.choice(ZH_WORDS) for _ in range(rng.randint(5, 9)))


def teaser(rng: random.Random, zh: bool) -> str:
    return zh_headline(rng) if zh else headline(rng)
