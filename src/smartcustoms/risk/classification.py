"""Classification screening: does the goods description read like the declared commodity code?

A text model (character n-gram TF-IDF and a multinomial logistic regression) learns ``p(code | description)``
from the trade wording of past declarations, plus the HS 2022 nomenclature texts of the same subheadings as
extra examples. Codes are compared at ``code_digits`` digits (8 by default: HS6 plus the national digits,
because duty often differs below HS6). Items of declarations a control found misclassified are left out of the
training set. The score of an item is the margin by which the most likely code beats the declared one::

    score = max(p(top) - p(declared), 0)                   when the top code carries more duty ("tariff hop")
    score = max(p(top) - p(declared), 0) * no_hop_weight   otherwise

so a confident, revenue-relevant contradiction scores near 1, a vague description (where no code is likely,
e.g. a placeholder text) scores near 0, and a description that reads as the declared code scores 0. Duty
rates of codes are learned from history (median declared duty rate per code, origin and preference claim,
with coarser fall-backs), so no external tariff is needed; the duty at risk of a tariff hop is
``customs_value x (rate of the likely code - declared rate) / 100``.

Declared codes the model has no class for (too rare in history) are compared one level up: the HS6
subheading, else the HS4 heading; codes of a heading the model never saw are "not checked". Prediction runs
once per distinct description (descriptions repeat a lot): a million items with 9,000 distinct descriptions
take under a second on 2 cores; the cost grows with the number of distinct descriptions (about 20,000 a
second), not with the number of items. The duty at risk is what the hop would cost if the likely code is
right: weigh it with the score.

    screen = ClassificationScreen().fit(history, outcomes, as_of="2025-10-01")
    scores = screen.score(frame)   # classification_score, classification_duty_at_risk, classification_reason
"""

from __future__ import annotations

import re
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from smartcustoms.outcomes.infringements import found as infringement_found
from smartcustoms.reference import hs
from smartcustoms.risk.valuation import append_code, finite, number

NAME = "classification"
COLUMNS = [f"{NAME}_score", f"{NAME}_duty_at_risk", f"{NAME}_reason"]
LEVELS = ("code", "subheading", "heading")  # comparison levels: the model's codes, HS6, HS4
_GROUP_DIGITS = {"subheading": 6, "heading": 4}
SEEN_VALUES = 4_000_000  # probabilities kept for the history's most frequent texts (texts x codes: 16 MB)
SMALL = 256  # up to this many rows (a web lodging batch), score without pandas grouping: same results, less
# overhead (measured faster up to 400 rows; grouping pays off on imports, where descriptions repeat)


def normalise(texts: pd.Series) -> pd.Series:
    """Lower case, punctuation to spaces, model numbers (digit runs of 3 or more) to '#', single spaces."""
    texts = texts.astype("str").str.lower()
    texts = texts.str.replace(r"[^\w%]+", " ", regex=True).str.replace(r"\d{3,}", "#", regex=True)
    return texts.str.replace(r"\s+", " ", regex=True).str.strip()


def _normalise_one(text: str) -> str:
    """normalise() for one Python string."""
    text = re.sub(r"[^\w%]+", " ", text.lower())
    return re.sub(r"\s+", " ", re.sub(r"\d{3,}", "#", text)).strip()


def _is_text(value) -> bool:
    return value is not None and value == value


def _before(values: pd.Series, as_of) -> np.ndarray:
    return (pd.to_datetime(values) < pd.Timestamp(as_of)).to_numpy()


def _rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """frame.iloc[rows], without a copy when that is every row in order."""
    return frame if len(rows) == len(frame) else frame.iloc[rows]


def _plain_texts(values: list) -> bool:
    """Whether every value is missing (None or NaN) or an ASCII string: what the plain-Python twins below
    handle exactly as pandas' string methods do."""
    return all(value is None or (type(value) is str and value.isascii()) or (type(value) is float and value != value)
               for value in values)


def _texts_or_empty(values: pd.Series) -> np.ndarray:
    """Text with "" for missing values (object array): ``values.astype("str").fillna("")``, in plain Python on
    a few rows."""
    if len(values) <= SMALL:
        listed = values.tolist()
        if _plain_texts(listed):
            return np.array([value if type(value) is str else "" for value in listed], dtype=object)
    return values.astype("str").fillna("").to_numpy()


def _blank(texts: pd.Series) -> np.ndarray:
    """Missing or only white space (each distinct text is looked at once)."""
    if len(texts) <= SMALL:
        listed = texts.tolist()
        if _plain_texts(listed):
            return np.array([type(value) is not str or not value.strip() for value in listed], dtype=bool)
    ids, distinct = pd.factorize(texts)
    empty = np.append((pd.Series(distinct, dtype="str").str.strip() == "").to_numpy(dtype=bool), True)
    return empty[ids]  # id -1 (missing) picks the appended True


# the "not checked" notes as codes and parameters (one dict serves every row: append_code makes each row's list)
_NO_CODE = {"code": "classification.not_checked.no_code", "params": {}}
_NO_DESCRIPTION = {"code": "classification.not_checked.no_description", "params": {}}
_NO_MODEL = {"code": "classification.not_checked.no_model", "params": {}}


class ClassificationScreen:
    """Is the goods description consistent with the declared commodity code? (sklearn-shaped)

    Parameters
    ----------
    code_digits: digits of the commodity code the model tells apart (6 = HS6; 8 = HS6 + national digits).
    ngram_range, min_df, max_features: character n-grams of the TF-IDF (vocabulary learned from history).
    C, max_iter: inverse regularisation and iterations of the logistic regression.
    min_examples: a code needs this many history items (after exclusions) to be a class of the model.
    max_classes: at most this many classes (the most frequent codes), to bound memory and training time.
    max_coefficients: at most this many weights (classes x n-gram features): the vocabulary keeps the most
        frequent n-grams, ``max_coefficients // classes`` of them when the classes are many. The logistic
        regression's L-BFGS fit holds about 25 float64 copies of the weights (10 pairs of correction vectors, the
        gradient, the iterate), so its peak memory is about 200 bytes x classes x features: 0.8 million weights
        (160 MB) on the generated world's 74 codes, 11 million (2.2 GB) on 1,000 codes described with real HS
        texts. The default bounds it at about 400 MB whatever the data's shape (docs/scale.md, section 5).
    nomenclature_weight: weight of each HS 2022 text (subheading, and heading + subheading) as an example;
        0 leaves the nomenclature out.
    no_hop_weight: factor on the score when the likely code carries no more duty than the declared one.
    flag_threshold: items scoring at or above it get a reason sentence.
    min_rate_count: items needed for a learned duty rate at the finer levels (code + origin + preference).
    batch_size: distinct descriptions predicted at a time (bounds memory).
    """

    name = NAME

    def __init__(self, code_digits=8, ngram_range=(2, 5), min_df=2, max_features=100_000, C=20.0, max_iter=300,
                 min_examples=5, max_classes=1000, nomenclature_weight=3.0, no_hop_weight=0.5,
                 flag_threshold=0.4, min_rate_count=5, batch_size=20_000, max_coefficients=2_000_000):
        self.code_digits = code_digits
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.C = C
        self.max_iter = max_iter
        self.min_examples = min_examples
        self.max_classes = max_classes
        self.nomenclature_weight = nomenclature_weight
        self.no_hop_weight = no_hop_weight
        self.flag_threshold = flag_threshold
        self.min_rate_count = min_rate_count
        self.batch_size = batch_size
        self.max_coefficients = max_coefficients

    # ------------------------------------------------------------------------------------------ helpers
    def _codes(self, codes: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Declared codes cut to ``code_digits``, and which are valid (at least 6 digits).

        Cleans each distinct code once: codes repeat a lot.
        """
        ids, distinct = pd.factorize(codes, use_na_sentinel=False)
        distinct = pd.Series(distinct, dtype="str").str.replace(r"[.\s]", "", regex=True)
        valid = distinct.str.fullmatch(r"\d{6,}").fillna(False).to_numpy(dtype=bool)
        cut = distinct.str[: self.code_digits].to_numpy(dtype=object)
        return cut[ids], valid[ids]

    # ------------------------------------------------------------------------------------------ fit
    def fit(self, history: pd.DataFrame, outcomes: pd.DataFrame | None = None, as_of=None):
        """Learn the text model and the duty rates of codes from ``history`` (declarations frame).

        ``outcomes``: controls; the items of declarations found misclassified are left out of the text model.
        ``as_of``: use only declarations accepted, and outcomes dated, strictly before it.
        """
        history = history[["declaration_id", "acceptance_datetime", "commodity_code", "goods_description",
                           "origin_country", "preference_claim", "duty_rate"]]
        if as_of is not None:
            history = history[_before(history["acceptance_datetime"], as_of)]
        codes, valid = self._codes(history["commodity_code"])
        history, codes = history[valid], pd.Series(codes[valid], index=history.index[valid], dtype=object)
        self.duty_rates_ = self._learn_rates(history, codes)

        keep = ~_blank(history["goods_description"])
        if outcomes is not None and len(outcomes):
            found = outcomes[(outcomes["result"] == "discrepancy")
                             & infringement_found(outcomes["infringement"], "classification")]
            if as_of is not None:
                found = found[_before(found["inspection_date"], as_of)]
            keep &= ~history["declaration_id"].isin(found["declaration_id"]).to_numpy()
        self.n_excluded_ = int((~keep).sum())
        pairs = pd.DataFrame({"text": normalise(history["goods_description"][keep]).to_numpy(),
                              "code": codes[keep].to_numpy()})
        counts = pairs["code"].value_counts()
        classes = counts[counts >= self.min_examples].index[: self.max_classes]
        pairs = pairs[pairs["code"].isin(classes) & (pairs["text"] != "")]
        pairs = pairs.groupby(["text", "code"], sort=False).size().rename("weight").reset_index()
        self.n_training_items_ = int(pairs["weight"].sum())
        self.classes_ = np.array(sorted(pairs["code"].unique()), dtype=object)
        self._set_groups()
        if len(self.classes_) < 2:
            self.vectorizer_ = self.model_ = None
            return self

        self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(self.ngram_range),
                                           min_df=self.min_df, max_features=self._features_bound(),
                                           sublinear_tf=True, lowercase=False, dtype=np.float32)
        self.vectorizer_.fit(pairs["text"])
        examples = pd.concat([pairs, self._nomenclature_examples(self.classes_)], ignore_index=True)
        features = self.vectorizer_.transform(examples["text"])
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=1e-4)
        self.model_.fit(features, examples["code"].to_numpy(), sample_weight=examples["weight"].to_numpy())
        if list(self.model_.classes_) != list(self.classes_):
            raise RuntimeError("the model's classes are not the codes it was given")
        self.coef_ = np.ascontiguousarray(self.model_.coef_.T.astype(np.float32))  # (features, classes)
        self.intercept_ = self.model_.intercept_.astype(np.float32)
        self._keep_seen(history["goods_description"])
        return self

    def _keep_seen(self, descriptions: pd.Series) -> None:
        """Keep p(code | text) of the most frequent texts of `descriptions` (the history's): descriptions repeat,
        and a batch reads them here instead of cutting them into n-grams again (the same numbers: a text's
        probabilities are its own, whatever the texts beside it)."""
        texts = normalise(descriptions[~_blank(descriptions)]).value_counts()
        texts = texts.index[: SEEN_VALUES // len(self.classes_)].to_numpy(dtype=object)
        self.seen_texts_, self.seen_proba_ = pd.Index(texts), self._computed_proba(texts)

    def _features_bound(self) -> int | None:
        """max_features, lowered so that classes x features stays within max_coefficients."""
        if not self.max_coefficients:
            return self.max_features
        bound = max(int(self.max_coefficients // max(len(self.classes_), 1)), 1)
        return bound if self.max_features is None else min(self.max_features, bound)

    def _set_groups(self):
        """For HS6 and HS4: the group labels, each class's group, and a (classes x groups) 0/1 matrix."""
        self.groups_ = {}
        for level, digits in _GROUP_DIGITS.items():
            of_class = np.array([c[:digits] for c in self.classes_], dtype=object)
            labels = np.array(sorted(set(of_class)), dtype=object)
            index = np.searchsorted(labels, of_class) if len(of_class) else np.zeros(0, dtype=np.int64)
            matrix = np.zeros((len(self.classes_), len(labels)), dtype=np.float32)
            matrix[np.arange(len(self.classes_)), index] = 1.0
            self.groups_[level] = (labels, index, matrix)

    def _nomenclature_examples(self, classes) -> pd.DataFrame:
        """HS 2022 texts of the model's codes: the subheading's, and the heading's with the subheading's."""
        if not self.nomenclature_weight:
            return pd.DataFrame({"text": [], "code": [], "weight": []})
        sub, head = hs.descriptions(6), hs.descriptions(4)
        codes = [c for c in classes if c[:6] in sub]
        texts = [sub[c[:6]] for c in codes] + [f"{head.get(c[:4], '')} {sub[c[:6]]}" for c in codes]
        return pd.DataFrame({"text": normalise(pd.Series(texts, dtype="str")).to_numpy(),
                             "code": codes + codes, "weight": float(self.nomenclature_weight)})

    def _learn_rates(self, history: pd.DataFrame, codes: pd.Series) -> dict:
        """Median declared duty rate by (code, origin, preference claimed), by (code, claimed), by code."""
        frame = pd.DataFrame({
            "code": codes.to_numpy(),
            "origin": history["origin_country"].astype("str").fillna("").to_numpy(),
            "claimed": ~_blank(history["preference_claim"]),
            "rate": pd.to_numeric(history["duty_rate"], errors="coerce").to_numpy(),
        }).dropna(subset=["rate"])
        tables = {}
        for level, keys in (("code_origin_claim", ["code", "origin", "claimed"]),
                            ("code_claim", ["code", "claimed"]), ("code", ["code"])):
            stats = frame.groupby(keys)["rate"].agg(["median", "size"])
            if level != "code":
                stats = stats[stats["size"] >= self.min_rate_count]
            tables[level] = stats["median"].to_dict()
        return tables

    def _rate(self, codes, origins, claimed) -> np.ndarray:
        """Learned duty rate of each (code, origin, claimed); NaN where the code was never seen."""
        tables = self.duty_rates_
        out = np.full(len(codes), np.nan)
        for i, (code, origin, claim) in enumerate(zip(codes, origins, claimed)):
            claim = bool(claim)
            rate = tables["code_origin_claim"].get((code, origin, claim))
            if rate is None:
                rate = tables["code_claim"].get((code, claim), tables["code"].get(code))
            if rate is not None:
                out[i] = rate
        return out

    # ------------------------------------------------------------------------------------------ predict
    def predict_proba(self, descriptions) -> pd.DataFrame:
        """p(code | description): one row per description, one column per code of the model."""
        descriptions = list(descriptions)
        texts = normalise(pd.Series(descriptions, dtype="str")).to_numpy()
        return pd.DataFrame(self._proba(texts), index=descriptions, columns=self.classes_)

    def _proba(self, texts, few: bool = False) -> np.ndarray:
        """p(code | text) of normalised texts: read for those of the history kept by ``fit``, computed for others."""
        seen_texts = getattr(self, "seen_texts_", None)
        if few or seen_texts is None or not len(texts):
            return self._computed_proba(texts, few)
        at = seen_texts.get_indexer(texts)
        seen = at >= 0
        if not seen.any():
            return self._computed_proba(texts)
        out = np.empty((len(texts), self.seen_proba_.shape[1]), dtype=self.seen_proba_.dtype)
        out[seen] = self.seen_proba_[at[seen]]
        if not seen.all():
            out[~seen] = self._computed_proba(np.asarray(texts, dtype=object)[~seen])
        return out

    def _computed_proba(self, texts, few: bool = False) -> np.ndarray:
        features = self._few_features(texts) if few else self.vectorizer_.transform(texts)
        logits = np.asarray(features @ self.coef_) + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        return logits

    def _few_features(self, texts) -> sp.csr_array:
        """``vectorizer_.transform(texts)`` for a few texts (one declaration): the same counts, tf-idf weights and
        norm, computed as the vectorizer computes them, without its checks of the input (most of its cost on a
        few texts)."""
        vectorizer = self.vectorizer_
        if vectorizer.norm not in ("l2", None) or np.dtype(vectorizer.dtype) not in (np.float32, np.float64):
            return vectorizer.transform(texts)  # (not this screen's vectorizer: the general path)
        analyze, vocabulary = vectorizer.build_analyzer(), vectorizer.vocabulary_
        indices, counts, indptr = [], [], [0]
        for text in texts:
            found: dict[int, int] = {}
            for gram in analyze(text):
                at = vocabulary.get(gram)
                if at is not None:
                    found[at] = found.get(at, 0) + 1
            ordered = sorted(found)  # the vectorizer sorts each row's indices
            indices.extend(ordered)
            counts.extend(found[at] for at in ordered)
            indptr.append(len(indices))
        data = np.array(counts, dtype=vectorizer.dtype)
        indices = np.array(indices, dtype=np.int32)
        if vectorizer.sublinear_tf:
            np.log(data, data)
            data += 1.0
        if vectorizer.use_idf:
            data *= vectorizer.idf_[indices]
        features = sp.csr_array((data, indices, np.array(indptr, dtype=np.int32)),
                                shape=(len(indptr) - 1, len(vocabulary)))
        if vectorizer.norm == "l2":
            inplace_csr_row_normalize_l2(features)  # what the vectorizer's tf-idf step calls
        return features

    # ------------------------------------------------------------------------------------------ score
    def score(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One row per row of ``frame`` (same index): score, duty at risk and reason. A few rows (one
        declaration) take a plain-Python path with the same results, without the batch path's pandas overhead."""
        return pd.DataFrame(self.score_columns(frame), index=frame.index)

    def score_columns(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """`score` as a dict of arrays (no frame built: `risk.assess` reads it)."""
        few = len(frame) <= SMALL
        n = len(frame)
        score, duty = np.full(n, np.nan), np.zeros(n)
        reason = np.full(n, "", dtype=object)
        coded = np.full(n, None, dtype=object)  # a flagged row's reason as codes and parameters
        if few:
            descriptions = np.array(frame["goods_description"].tolist(), dtype=object)
            cleaned = [re.sub(r"[.\s]", "", str(c)) if _is_text(c) else "" for c in frame["commodity_code"]]
            valid = np.array([re.fullmatch(r"\d{6,}", code) is not None for code in cleaned], dtype=bool)
            blank = np.array([not _is_text(text) or not str(text).strip() for text in descriptions], dtype=bool)
            codes = np.array([code[: self.code_digits] for code in cleaned], dtype=object)
        else:
            blank = _blank(frame["goods_description"])
            codes, valid = self._codes(frame["commodity_code"])
        reason[~valid] = "not checked: no valid commodity code"
        reason[blank] = "not checked: no description"
        append_code(coded, ~valid & ~blank, _NO_CODE)  # the same notes as codes (pages write them in words)
        append_code(coded, blank, _NO_DESCRIPTION)
        todo = np.flatnonzero(~blank & valid)
        if self.model_ is None:
            reason[todo] = "not checked: no text model (fewer than two codes with history)"
            append_code(coded, todo, _NO_MODEL)
        elif len(todo) and few:
            texts = np.array([_normalise_one(str(text)) for text in descriptions[todo]], dtype=object)
            level, p_top, p_declared, top = self._compare_small(texts, codes[todo])
            self._finish(_rows(frame, todo), codes[todo], todo, level, p_top, p_declared, top, descriptions[todo],
                         score, duty, reason, coded)
        elif len(todo):
            self._score_rows(_rows(frame, todo), codes[todo], todo, score, duty, reason, coded)
        return {COLUMNS[0]: score, COLUMNS[1]: duty, COLUMNS[2]: reason, f"{NAME}_codes": coded}

    def _compare(self, text_ids: np.ndarray, declared: np.ndarray, texts: np.ndarray):
        """For distinct (text, declared code) pairs: level of comparison, p(top), p(declared), top class.

        ``declared`` holds the declared codes as they are (cut to code_digits); ``texts`` the normalised
        distinct texts that ``text_ids`` point into.
        """
        n = len(text_ids)
        level = np.full(n, len(LEVELS), dtype=np.int8)  # len(LEVELS): not comparable
        class_index = pd.Index(self.classes_).get_indexer(declared)
        level[class_index >= 0] = 0
        group_index = {}
        for i, (name, digits) in enumerate(_GROUP_DIGITS.items(), start=1):
            labels = self.groups_[name][0]
            group_index[name] = pd.Index(labels).get_indexer([c[:digits] for c in declared])
            level[(level == len(LEVELS)) & (group_index[name] >= 0)] = i

        p_top, p_declared = np.zeros(n), np.zeros(n)
        top = np.zeros(n, dtype=np.int64)
        order = np.argsort(text_ids, kind="stable")
        sorted_ids = text_ids[order]
        edges = np.searchsorted(sorted_ids, np.arange(0, len(texts) + self.batch_size, self.batch_size))
        for start, stop in zip(edges[:-1], edges[1:]):
            if start == stop:
                continue
            chunk = order[start:stop]
            first = sorted_ids[start]
            proba = self._proba(texts[first: sorted_ids[stop - 1] + 1])
            row = text_ids[chunk] - first
            lev = level[chunk]
            exact = lev == 0
            top[chunk] = proba.argmax(axis=1)[row]
            p_top[chunk] = proba.max(axis=1)[row]
            p_declared[chunk[exact]] = proba[row[exact], class_index[chunk[exact]]]
            for i, name in enumerate(_GROUP_DIGITS, start=1):
                here = lev == i
                if not here.any():
                    continue
                _, of_class, matrix = self.groups_[name]
                sub_proba = proba[row[here]]
                grouped = sub_proba @ matrix
                best = grouped.argmax(axis=1)
                pick = np.arange(len(best))
                p_top[chunk[here]] = grouped[pick, best]
                p_declared[chunk[here]] = grouped[pick, group_index[name][chunk[here]]]
                top[chunk[here]] = np.where(of_class[None, :] == best[:, None], sub_proba, -1.0).argmax(axis=1)
        return level, p_top, p_declared, top

    def _score_rows(self, frame, declared, rows, score, duty, reason, coded):
        # one prediction per distinct description, one comparison per distinct (description, declared code)
        text_id, raw_texts = pd.factorize(frame["goods_description"], sort=False)
        code_id, codes = pd.factorize(pd.Series(declared), sort=False)
        pair_row, pairs = pd.factorize(text_id.astype(np.int64) * len(codes) + code_id, sort=False)
        texts = normalise(pd.Series(raw_texts, dtype="str")).to_numpy()
        level, p_top, p_declared, top = self._compare(pairs // len(codes), np.asarray(codes, dtype=object)[
            pairs % len(codes)], texts)
        level, p_top, p_declared, top = level[pair_row], p_top[pair_row], p_declared[pair_row], top[pair_row]
        self._finish(frame, declared, rows, level, p_top, p_declared, top, raw_texts[text_id], score, duty, reason,
                     coded)

    def _compare_small(self, texts: np.ndarray, declared: np.ndarray):
        """_compare for a few rows, without pandas (one-declaration calls): same results."""
        n = len(texts)
        level = np.full(n, len(LEVELS), dtype=np.int8)
        p_top, p_declared = np.zeros(n), np.zeros(n)
        top = np.zeros(n, dtype=np.int64)
        proba = self._proba(texts, few=True)
        if not hasattr(self, "lookup_"):  # class and group positions, built on first use
            self.lookup_ = {"code": {c: i for i, c in enumerate(self.classes_)}, **{
                name: {label: i for i, label in enumerate(self.groups_[name][0])} for name in _GROUP_DIGITS}}
        top[:] = proba.argmax(axis=1)
        p_top[:] = proba.max(axis=1)
        for i, code in enumerate(declared):
            exact = self.lookup_["code"].get(code)
            if exact is not None:
                level[i], p_declared[i] = 0, proba[i, exact]
                continue
            for at, (name, digits) in enumerate(_GROUP_DIGITS.items(), start=1):
                group = self.lookup_[name].get(code[:digits])
                if group is None:
                    continue
                _, of_class, matrix = self.groups_[name]
                grouped = proba[i] @ matrix
                best = grouped.argmax()
                level[i], p_top[i], p_declared[i] = at, grouped[best], grouped[group]
                top[i] = np.where(of_class == best, proba[i], -1.0).argmax()
                break
        return level, p_top, p_declared, top

    def _finish(self, frame, declared, rows, level, p_top, p_declared, top, raw_texts, score, duty, reason, coded):
        """Scores, tariff hop, duty at risk and reasons from the comparison of each row."""
        checked = level < len(LEVELS)
        margin = np.where(checked, np.maximum(p_top - p_declared, 0.0), 0.0)
        # duty rate of the likely code, looked up once per distinct (code, origin, claim)
        origin = _texts_or_empty(frame["origin_country"])
        claimed = ~_blank(frame["preference_claim"])
        declared_rate = np.array(number(frame, "duty_rate"), dtype=float)  # a copy: filled in below
        likely_rate = np.full(len(frame), np.nan)
        differs = np.flatnonzero(margin > 0)
        if len(differs) > SMALL:
            combos = pd.DataFrame({"top": top[differs], "origin": origin[differs], "claimed": claimed[differs]})
            combo_row = combos.groupby(["top", "origin", "claimed"], sort=False).ngroup().to_numpy()
            combo = combos.drop_duplicates()  # same order as the groups numbered on first appearance
            likely_rate[differs] = self._rate(self.classes_[combo["top"].to_numpy()], combo["origin"].to_numpy(),
                                              combo["claimed"].to_numpy())[combo_row]
        elif len(differs):
            likely_rate[differs] = self._rate(self.classes_[top[differs]], origin[differs], claimed[differs])
        if len(differs):
            missing = differs[np.isnan(declared_rate[differs])]
            declared_rate[missing] = self._rate(declared[missing], origin[missing], claimed[missing])
        gap = finite(likely_rate - declared_rate)
        hop = gap > 1e-9
        value = finite(number(frame, "customs_value"))
        row_score = np.where(hop, margin, margin * self.no_hop_weight)
        score[rows] = np.where(checked, row_score, np.nan)
        duty[rows] = np.where(hop, value * gap / 100.0, 0.0)

        unknown = np.flatnonzero(~checked)
        if len(unknown):
            reason[rows[unknown]] = [f"not checked: heading {str(code)[:4]} has no history to learn its wording from"
                                     for code in declared[unknown]]
            append_code(coded, rows[unknown], [{"code": "classification.not_checked.no_history",
                                                "params": {"heading": str(code)[:4]}} for code in declared[unknown]])
        flagged = np.flatnonzero(checked & (row_score >= self.flag_threshold))
        if len(flagged):
            reason[rows[flagged]], coded[rows[flagged]] = self._reasons(
                raw_texts[flagged], self.classes_[top[flagged]], p_top[flagged], declared[flagged],
                p_declared[flagged], level[flagged], likely_rate[flagged], declared_rate[flagged], hop[flagged])

    @staticmethod
    def _reasons(texts, likely, p_likely, declared, p_declared, level, likely_rate, declared_rate, hop):
        digits = np.array([99] + list(_GROUP_DIGITS.values()))[level]
        likely = [code[:d] for code, d in zip(likely, digits)]
        declared = [code[:d] for code, d in zip(declared, digits)]
        out, coded = [], np.full(len(likely), None, dtype=object)
        rows = zip(texts, likely, p_likely, declared, p_declared, likely_rate, declared_rate, hop)
        for at, (text, lk, pl, dc, pd_, lr, dr, h) in enumerate(rows):
            text = str(text)
            text = text if len(text) <= 60 else text[:57] + "..."
            sentence = f"description '{text}' reads as {lk} (p={pl:.2f}), declared {dc} (p={pd_:.2f})"
            coded[at] = [{"code": "classification.reads_as", "params": {
                "description": text, "likely": str(lk), "p_likely": round(float(pl), 2), "declared": str(dc),
                "p_declared": round(float(pd_), 2)}}]
            if h:
                sentence += f"; the likely code carries {lr:.1f}% duty against {dr:.1f}% declared"
                coded[at].append({"code": "classification.duty_gap",
                                  "params": {"likely_rate": round(float(lr), 1), "declared_rate": round(float(dr), 1)}})
            out.append(sentence)
        return np.array(out, dtype=object), coded

    # ------------------------------------------------------------------------------------------ persistence
    def save(self, path) -> Path:
        """Write the fitted screen to ``path`` (joblib)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        return path

    @classmethod
    def load(cls, path) -> ClassificationScreen:
        screen = joblib.load(path)
        if not isinstance(screen, cls):
            raise TypeError(f"{path} holds a {type(screen).__name__}, not a {cls.__name__}")
        return screen
