"""Plausible names, cities, phones and tax ids for the demo company's customers and contacts.

Pure: every function takes the caller's `random.Random`, so the demo story stays deterministic.
Chinese tax ids are 统一社会信用代码 with valid check characters (GB 32100-2015, whose 9-character
organisation code carries its own GB 11714 check), so validators written later accept them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    name: str
    department: str
    area_code: str
    region_code: str  # GB/T 2260 county-level code used inside the tax id


EAST = "华东销售部"
SOUTH = "华南销售部"
NORTH_OVERSEAS = "华北及海外业务部"
DEPARTMENTS = (EAST, SOUTH, NORTH_OVERSEAS)

CITIES = (
    City("上海", EAST, "021", "310115"), City("苏州", EAST, "0512", "320505"),
    City("杭州", EAST, "0571", "330106"), City("宁波", EAST, "0574", "330212"),
    City("南京", EAST, "025", "320104"), City("无锡", EAST, "0510", "320214"),
    City("常州", EAST, "0519", "320411"), City("合肥", EAST, "0551", "340104"),
    City("深圳", SOUTH, "0755", "440305"), City("广州", SOUTH, "020", "440106"),
    City("东莞", SOUTH, "0769", "441900"), City("佛山", SOUTH, "0757", "440604"),
    City("厦门", SOUTH, "0592", "350206"), City("珠海", SOUTH, "0756", "440402"),
    City("北京", NORTH_OVERSEAS, "010", "110108"), City("天津", NORTH_OVERSEAS, "022", "120116"),
    City("青岛", NORTH_OVERSEAS, "0532", "370212"), City("成都", NORTH_OVERSEAS, "028", "510107"),
    City("武汉", NORTH_OVERSEAS, "027", "420106"), City("西安", NORTH_OVERSEAS, "029", "610113"),
)

BRANDS = (
    ("恒通", "hengtong"), ("鑫达", "xinda"), ("华瑞", "huarui"), ("宏远", "hongyuan"),
    ("天成", "tiancheng"), ("博亚", "boya"), ("金泰", "jintai"), ("瑞丰", "ruifeng"),
    ("中联", "zhonglian"), ("永盛", "yongsheng"), ("德信", "dexin"), ("安捷", "anjie"),
    ("科宇", "keyu"), ("联创", "lianchuang"), ("嘉禾", "jiahe"), ("亿通", "yitong"),
    ("精工", "jinggong"), ("海纳", "haina"), ("正泰", "zhengtai"), ("东方", "dongfang"),
    ("万盛", "wansheng"), ("新锐", "xinrui"), ("同力", "tongli"), ("汇川", "huichuan"),
)

INDUSTRIES = (
    ("机械设备", "机械", "数控机床配件"), ("电子元器件", "电子", "连接器"),
    ("汽车零部件", "汽车部件", "精密冲压件"), ("新能源", "新能源科技", "电池结构件"),
    ("医疗器械", "医疗器械", "精密注塑件"), ("自动化设备", "自动化", "伺服传动组件"),
    ("家电", "电器", "钣金外壳"), ("包装材料", "包装", "金属包装件"),
)

# Overseas customers: a country with its company suffix, and words their names are made of.
FOREIGN_COUNTRIES = (
    ("US", "Inc."), ("US", "LLC"), ("DE", "GmbH"), ("SG", "Pte. Ltd."), ("JP", "Co., Ltd."),
    ("GB", "Ltd."), ("KR", "Co., Ltd."), ("AU", "Pty Ltd"), ("MY", "Sdn. Bhd."),
)
FOREIGN_WORDS = ("Pacific", "Lakeside", "Granite", "Bluewater", "Summit", "Northgate", "Redwood",
                 "Silverline", "Harbor", "Evergreen", "Atlas", "Meridian", "Keystone", "Crescent")
FOREIGN_TRADES = ("Drive Systems", "Motion", "Robotics", "Medical Devices", "Appliances",
                  "Electronics", "Automation", "Components", "Instruments", "Industrial")

SURNAMES = (("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"),
            ("杨", "yang"), ("黄", "huang"), ("赵", "zhao"), ("周", "zhou"), ("吴", "wu"),
            ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"), ("胡", "hu"))
GIVEN = (("芳", "fang"), ("静", "jing"), ("敏", "min"), ("丽", "li"), ("军", "jun"),
         ("磊", "lei"), ("洋", "yang"), ("艳", "yan"), ("勇", "yong"), ("婷", "ting"),
         ("晓红", "xiaohong"), ("建华", "jianhua"), ("文博", "wenbo"), ("佳怡", "jiayi"))
ENGLISH_NAMES = ("Emily Carter", "James Miller", "Anna Schmidt", "Lukas Weber", "Wei Ling Tan",
                 "Yuki Tanaka", "Min-jun Park", "Oliver Hughes", "Sarah Nguyen", "Daniel Lim")
CONTACT_ROLES = ("财务经理", "应付会计", "采购经理")

_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def organisation_code(rng: random.Random) -> str:
    """A 9-character organisation code (组织机构代码) with its GB 11714 check character."""
    body = "".join(rng.choice("0123456789") for _ in range(2)) + "".join(
        rng.choice(_ORG_CHARS) for _ in range(6)
    )
    check = 11 - sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, region_code: str) -> str:
    """An 18-character 统一社会信用代码 for an enterprise (91…) in `region_code`."""
    body = "91" + region_code + organisation_code(rng)
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def mobile(rng: random.Random) -> str:
    return rng.choice(("138", "139", "136", "158", "186", "189")) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def landline(rng: random.Random, city: City) -> str:
    return f"{city.area_code}-{rng.randint(5, 8)}{rng.randint(0, 9999999):07d}"


def person(rng: random.Random) -> tuple[str, str]:
    """A Chinese name and its pinyin e-mail local part: ('王芳', 'wang.fang')."""
    surname, s_py = rng.choice(SURNAMES)
    given, g_py = rng.choice(GIVEN)
    return surname + given, f"{s_py}.{g_py}"
