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


def _r(name: str, *aliases: str) -> Region:
    return Region(name, aliases)


_MUNICIPALITIES = (
    _r("北京", "北京市", "Beijing", "Peking"),
    _r("上海", "上海市", "Shanghai"),
    _r("天津", "天津市", "Tianjin"),
    _r("重庆", "重庆市", "重慶", "Chongqing"),
)
_PROVINCES = (
    _r("河北", "河北省", "Hebei"),
    _r("山西", "山西省", "Shanxi"),
    _r("辽宁", "辽宁省", "遼寧", "Liaoning"),
    _r("吉林", "吉林省", "吉林市", "Jilin"),
    _r("黑龙江", "黑龙江省", "黑龍江", "Heilongjiang"),
    _r("江苏", "江苏省", "江蘇", "Jiangsu"),
    _r("浙江", "浙江省", "Zhejiang"),
    _r("安徽", "安徽省", "Anhui"),
    _r("福建", "福建省", "Fujian"),
    _r("江西", "江西省", "Jiangxi"),
    _r("山东", "山东省", "山東", "Shandong"),
    _r("河南", "河南省", "Henan"),
    _r("湖北", "湖北省", "Hubei"),
    _r("湖南", "湖南省", "Hunan"),
    _r("广东", "广东省", "廣東", "Guangdong"),
    _r("海南", "海南省", "Hainan"),
    _r("四川", "四川省", "Sichuan"),
    _r("贵州", "贵州省", "貴州", "Guizhou"),
    _r("云南", "云南省", "雲南", "Yunnan"),
    _r("陕西", "陕西省", "陝西", "Shaanxi"),
    _r("甘肃", "甘肃省", "甘肅", "Gansu"),
    _r("青海", "青海省", "Qinghai"),
    _r("台湾", "台湾省", "臺灣", "台灣", "Taiwan"),
    _r("内蒙古", "内蒙古自治区", "內蒙古", "Inner Mongolia", "Nei Mongol"),
    _r("广西", "广西壮族自治区", "广西自治区", "廣西", "Guangxi"),
    _r("西藏", "西藏自治区", "Tibet", "Xizang"),
    _r("宁夏", "宁夏回族自治区", "宁夏自治区", "寧夏", "Ningxia"),
    _r("新疆", "新疆维吾尔自治区", "新疆自治区", "Xinjiang"),
    _r("香港", "香港特别行政区", "香港特區", "Hong Kong", "Hongkong"),
    _r("澳门", "澳门特别行政区", "澳門", "Macau", "Macao"),
)
_CITIES = (
    _r("广州", "广州市", "廣州", "Guangzhou", "Canton"),
    _r("深圳", "深圳市", "Shenzhen"),
    _r("杭州", "杭州市", "Hangzhou"),
    _r("南京", "南京市", "Nanjing"),
    _r("苏州", "苏州市", "蘇州", "Suzhou"),
    _r("成都", "成都市", "Chengdu"),
    _r("武汉", "武汉市", "武漢", "Wuhan"),
    _r("西安", "西安市", "Xi'an"),
    _r("长沙", "长沙市", "長沙", "Changsha"),
    _r("郑州", "郑州市", "鄭州", "Zhengzhou"),
    _r("济南", "济南市", "濟南", "Jinan"),
    _r("青岛", "青岛市", "青島", "Qingdao"),
    _r("沈阳", "沈阳市", "瀋陽", "Shenyang"),
    _r("大连", "大连市", "大連", "Dalian"),
    _r("长春", "长春市", "長春", "Changchun"),
    _r("哈尔滨", "哈尔滨市", "哈爾濱", "Harbin"),
    _r("石家庄", "石家庄市", "Shijiazhuang"),
    _r("太原", "太原市", "Taiyuan"),
    _r("呼和浩特", "呼和浩特市", "Hohhot"),
    _r("合肥", "合肥市", "Hefei"),
    _r("福州", "福州市", "Fuzhou"),
    _r("厦门", "厦门市", "廈門", "Xiamen"),
    _r("南昌", "南昌市", "Nanchang"),
    _r("南宁", "南宁市", "南寧", "Nanning"),
    _r("海口", "海口市", "Haikou"),
    _r("三亚", "三亚市", "三亞", "Sanya"),
    _r("贵阳", "贵阳市", "貴陽", "Guiyang"),
    _r("昆明", "昆明市", "Kunming"),
    _r("拉萨", "拉萨市", "Lhasa"),
    _r("兰州", "兰州市", "蘭州", "Lanzhou"),
    _r("西宁", "西宁市", "Xining"),
    _r("银川", "银川市", "Yinchuan"),
    _r("乌鲁木齐", "乌鲁木齐市", "Urumqi"),
    _r("宁波", "宁波市", "Ningbo"),
    _r("无锡", "无锡市", "無錫", "Wuxi"),
    _r("佛山", "佛山市", "Foshan"),
    _r("东莞", "东莞市", "Dongguan"),
    _r("珠海", "珠海市", "Zhuhai"),
    _r("温州", "温州市", "Wenzhou"),
    _r("常州", "常州市", "Changzhou"),
    _r("南通", "南通市", "Nantong"),
    _r("烟台", "烟台市", "Yantai"),
    _r("泉州", "泉州市", "Quanzhou"),
    _r("徐州", "徐州市", "Xuzhou"),
    _r("嘉兴", "嘉兴市", "Jiaxing"),
    _r("绍兴", "绍兴市", "Shaoxing"),
    _r("金华", "金华市", "Jinhua"),
    _r("惠州", "惠州市", "Huizhou"),
)

DEFAULT_REGIONS: Final[tuple[Region, ...]] = (*_MUNICIPALITIES, *_PROVINCES, *_CITIES)
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
