"""The regions a Chinese company name can carry, and the words that name the whole country.

A company's region is part of its identity: 北京星河科技有限公司 and 星河（北京）科技有限公司
are one company, 上海星河科技有限公司 is another. The list covers the provinces,
municipalities, autonomous regions, Hong Kong, Macau and Taiwan, and the major cities, each
with and without 省/市 (and its longer official form), a few traditional spellings and its
usual English name. A province and a city in it are different regions (广东 ≠ 深圳): compare
what was written. It is data; add to it with ``CompanyRules.extended(regions=...)``.
"""

from __future__ import annotations

from typing import Final

import attrs

from leadcore.dedup.rules_base import check_texts, raise_problems, to_tuple
from leadcore.errors import FieldProblem

__all__ = ["DEFAULT_COUNTRY_WORDS", "DEFAULT_REGIONS", "Region"]


@attrs.frozen(slots=True)
class Region:
    """A region by its key ``name`` (``北京``) and the other ways it is written (``北京市``,
    ``Beijing``). Latin aliases match whole words only; Chinese ones match anywhere they stand
    at the start or end of a name."""

    name: str
    aliases: tuple[str, ...] = attrs.field(default=(), converter=to_tuple)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldProblem] = []
        if not isinstance(self.name, str) or not self.name.strip():
            problems.append(FieldProblem("name", "must be non-blank text"))
        check_texts(problems, "aliases", self.aliases)
        raise_problems(problems)

    @property
    def spellings(self) -> tuple[str, ...]:
        """The name followed by its aliases."""
        return (self.name, *self.aliases)


def _table(text: str) -> tuple[Region, ...]:
    """Regions from a table: one a line, the name first, then its aliases, split by ``|``."""
    regions = []
    for line in text.strip().splitlines():
        name, *aliases = (part.strip() for part in line.split("|"))
        regions.append(Region(name, tuple(aliases)))
    return tuple(regions)


# Municipalities, then provinces, autonomous regions, the SARs and Taiwan, then major cities.
_REGION_TABLE: Final = """
北京 | 北京市 | Beijing | Peking
上海 | 上海市 | Shanghai
天津 | 天津市 | Tianjin
重庆 | 重庆市 | 重慶 | Chongqing
河北 | 河北省 | Hebei
山西 | 山西省 | Shanxi
辽宁 | 辽宁省 | 遼寧 | Liaoning
吉林 | 吉林省 | 吉林市 | Jilin
黑龙江 | 黑龙江省 | 黑龍江 | Heilongjiang
江苏 | 江苏省 | 江蘇 | Jiangsu
浙江 | 浙江省 | Zhejiang
安徽 | 安徽省 | Anhui
福建 | 福建省 | Fujian
江西 | 江西省 | Jiangxi
山东 | 山东省 | 山東 | Shandong
河南 | 河南省 | Henan
湖北 | 湖北省 | Hubei
湖南 | 湖南省 | Hunan
广东 | 广东省 | 廣東 | Guangdong
海南 | 海南省 | Hainan
四川 | 四川省 | Sichuan
贵州 | 贵州省 | 貴州 | Guizhou
云南 | 云南省 | 雲南 | Yunnan
陕西 | 陕西省 | 陝西 | Shaanxi
甘肃 | 甘肃省 | 甘肅 | Gansu
青海 | 青海省 | Qinghai
台湾 | 台湾省 | 臺灣 | 台灣 | Taiwan
内蒙古 | 内蒙古自治区 | 內蒙古 | Inner Mongolia | Nei Mongol
广西 | 广西壮族自治区 | 广西自治区 | 廣西 | Guangxi
西藏 | 西藏自治区 | Tibet | Xizang
宁夏 | 宁夏回族自治区 | 宁夏自治区 | 寧夏 | Ningxia
新疆 | 新疆维吾尔自治区 | 新疆自治区 | Xinjiang
香港 | 香港特别行政区 | 香港特區 | Hong Kong | Hongkong
澳门 | 澳门特别行政区 | 澳門 | Macau | Macao
广州 | 广州市 | 廣州 | Guangzhou | Canton
深圳 | 深圳市 | Shenzhen
杭州 | 杭州市 | Hangzhou
南京 | 南京市 | Nanjing
苏州 | 苏州市 | 蘇州 | Suzhou
成都 | 成都市 | Chengdu
武汉 | 武汉市 | 武漢 | Wuhan
西安 | 西安市 | Xi'an
长沙 | 长沙市 | 長沙 | Changsha
郑州 | 郑州市 | 鄭州 | Zhengzhou
济南 | 济南市 | 濟南 | Jinan
青岛 | 青岛市 | 青島 | Qingdao
沈阳 | 沈阳市 | 瀋陽 | Shenyang
大连 | 大连市 | 大連 | Dalian
长春 | 长春市 | 長春 | Changchun
哈尔滨 | 哈尔滨市 | 哈爾濱 | Harbin
石家庄 | 石家庄市 | Shijiazhuang
太原 | 太原市 | Taiyuan
呼和浩特 | 呼和浩特市 | Hohhot
合肥 | 合肥市 | Hefei
福州 | 福州市 | Fuzhou
厦门 | 厦门市 | 廈門 | Xiamen
南昌 | 南昌市 | Nanchang
南宁 | 南宁市 | 南寧 | Nanning
海口 | 海口市 | Haikou
三亚 | 三亚市 | 三亞 | Sanya
贵阳 | 贵阳市 | 貴陽 | Guiyang
昆明 | 昆明市 | Kunming
拉萨 | 拉萨市 | Lhasa
兰州 | 兰州市 | 蘭州 | Lanzhou
西宁 | 西宁市 | Xining
银川 | 银川市 | Yinchuan
乌鲁木齐 | 乌鲁木齐市 | Urumqi
宁波 | 宁波市 | Ningbo
无锡 | 无锡市 | 無錫 | Wuxi
佛山 | 佛山市 | Foshan
东莞 | 东莞市 | Dongguan
珠海 | 珠海市 | Zhuhai
温州 | 温州市 | Wenzhou
常州 | 常州市 | Changzhou
南通 | 南通市 | Nantong
烟台 | 烟台市 | Yantai
泉州 | 泉州市 | Quanzhou
徐州 | 徐州市 | Xuzhou
嘉兴 | 嘉兴市 | Jiaxing
绍兴 | 绍兴市 | Shaoxing
金华 | 金华市 | Jinhua
惠州 | 惠州市 | Huizhou
"""

DEFAULT_REGIONS: Final[tuple[Region, ...]] = _table(_REGION_TABLE)
"""Provinces, municipalities, autonomous regions, SARs, Taiwan and major cities."""

DEFAULT_COUNTRY_WORDS: Final = (
    "中国",
    "中國",
    "中华人民共和国",
    "中国大陆",
    "大陆",
    "China",
    "PRC",
    "P.R.C.",
    "P.R. China",
    "People's Republic of China",
)
"""Country-level words: in brackets (``星河（中国）有限公司``) they are not a region and are
dropped, so the name matches the same name without them."""
