"""Duplicate keys (查重): phones, emails, company names and WeChat ids, normalised so that a
duplicate is caught however it was typed. Pure: no store, no clock.

* :class:`Normaliser` — built from :class:`DedupRules` (plain data: dict / JSON / TOML);
  ``phone`` / ``email`` / ``company`` / ``wechat`` read one value, ``keys`` / ``examine`` a
  whole lead or import row.
* :class:`DedupKey` (:class:`KeyKind` + value) — ``phone:+8613800138000``,
  ``company:北京/星河科技``; records sharing one are duplicates.
* :func:`find_duplicate_groups` → :class:`DuplicateGroup` — duplicates in a batch, with the
  keys that link them.
* :class:`DuplicatePolicy` / :class:`DuplicatePolicies` — what a pool does with a new lead
  that matches an existing one (ignore, reject, flag, attach) and within which scope.
* :func:`mask_phone`, :func:`mask_email`, :func:`mask_wechat`, :func:`mask_key` — showing a
  match in a lead the user may not view (``138****8000``).

Modules, one job each: ``keys`` (the key), ``text`` (junk in, text or a reason out),
``phones`` · ``emails`` · ``companies`` (+ ``regions``) · ``wechat`` (one kind each: rules,
result, reader), ``rules`` + ``editing`` (all rules as config), ``normaliser``, ``groups``,
``masking``, ``policy``.
"""

from leadcore.dedup.companies import CompanyRules, NormalisedCompany
from leadcore.dedup.emails import GMAIL, EmailProvider, EmailRules, NormalisedEmail
from leadcore.dedup.groups import DuplicateGroup, find_duplicate_groups
from leadcore.dedup.keys import DedupKey, KeyKind
from leadcore.dedup.masking import mask_email, mask_key, mask_phone, mask_wechat
from leadcore.dedup.normaliser import Normaliser, Record, RecordKeys
from leadcore.dedup.phones import NormalisedPhone, PhoneRules
from leadcore.dedup.policy import (
    DuplicateAction,
    DuplicatePolicies,
    DuplicatePolicy,
    DuplicateScope,
)
from leadcore.dedup.regions import Region
from leadcore.dedup.rules import DedupRules
from leadcore.dedup.wechat import NormalisedWechat, WechatRules

__all__ = [
    "GMAIL",
    "CompanyRules",
    "DedupKey",
    "DedupRules",
    "DuplicateAction",
    "DuplicateGroup",
    "DuplicatePolicies",
    "DuplicatePolicy",
    "DuplicateScope",
    "EmailProvider",
    "EmailRules",
    "KeyKind",
    "NormalisedCompany",
    "NormalisedEmail",
    "NormalisedPhone",
    "NormalisedWechat",
    "Normaliser",
    "PhoneRules",
    "Record",
    "RecordKeys",
    "Region",
    "WechatRules",
    "find_duplicate_groups",
    "mask_email",
    "mask_key",
    "mask_phone",
    "mask_wechat",
]
