"""Rebuild the cleaned dataset files from the raw upstream files, byte for byte.

Each function takes the raw files' bytes and returns the bytes of the cleaned file described in
the dataset's provenance notes (and summarised in its card under ``descr/``). The output is
checked against the cleaned file's published sha256 before it is written, so these functions
only change formatting; they never recode values.
"""

# Authors: The tabinvert developers
# SPDX-License-Identifier: BSD-3-Clause

import csv
import gzip
import io

ADULT_COLUMNS = (
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
)  # fmt: skip

HEART_COLUMNS = (
    "age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak",
    "slope", "ca", "thal", "num",
)  # fmt: skip

GERMAN_CREDIT_COLUMNS = (
    "checking_status", "duration_months", "credit_history", "purpose", "credit_amount",
    "savings", "employment_since", "installment_rate", "personal_status_sex", "other_debtors",
    "residence_since", "property", "age_years", "other_installment_plans", "housing",
    "existing_credits", "job", "num_dependents", "telephone", "foreign_worker", "credit_risk",
)  # fmt: skip

STEAK_SURVEY_COLUMNS = (
    "response_id", "lottery", "smoking", "alcohol", "gambling", "skydiving", "speeding",
    "infidelity", "steak", "steak_type", "gender", "age", "income", "education", "location",
)  # fmt: skip


def _to_csv(header, rows):
    """UTF-8 CSV, ``\\n`` line ends, quoting only where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _read_csv_rows(data, encoding="utf-8"):
    return list(csv.reader(io.StringIO(data.decode(encoding), newline="")))


def clean_adult(train, test):
    """``adult.data`` + ``adult.test`` -> ``adult_clean.csv.gz``."""
    rows = []
    for data, split in ((train, "train"), (test, "test")):
        lines = data.decode("utf-8").split("\n")
        if split == "test":
            lines = lines[1:]  # "|1x3 Cross validator"
        for line in lines:
            if not line.strip():
                continue
            fields = [field.strip() for field in line.split(",")]
            fields[-1] = fields[-1].rstrip(".")  # test labels read ">50K."
            rows.append(["" if field == "?" else field for field in fields] + [split])
    buffer = io.BytesIO()
    # mtime=0 and a fixed name in the header make the archive reproducible.
    with gzip.GzipFile("adult_clean.csv", mode="wb", fileobj=buffer, mtime=0) as f:
        f.write(_to_csv(ADULT_COLUMNS + ("split",), rows))
    return buffer.getvalue()


def clean_heart(raw):
    """``processed.cleveland.data`` -> ``heart_cleveland_clean.csv``."""
    lines = raw.decode("utf-8").splitlines()
    rows = [["" if x == "?" else x for x in line.split(",")] for line in lines if line.strip()]
    return _to_csv(HEART_COLUMNS, rows)


def clean_german_credit(raw):
    """``german.data`` -> ``german_clean.csv``."""
    rows = [line.split() for line in raw.decode("utf-8").splitlines() if line.strip()]
    return _to_csv(GERMAN_CREDIT_COLUMNS, rows)


def clean_steak_survey(raw):
    """``steak-risk-survey.csv`` -> ``steak_survey_clean.csv``."""
    # Row 0 holds the question texts, row 1 the word "Response" in every answer column.
    return _to_csv(STEAK_SURVEY_COLUMNS, _read_csv_rows(raw)[2:])


def clean_warfarin(raw):
    """``warfarin.csv`` (CS234 copy) -> ``warfarin_clean.csv``."""
    rows = _read_csv_rows(raw, encoding="utf-8-sig")
    keep = [i for i, name in enumerate(rows[0]) if name]  # 3 trailing unnamed, empty columns
    rows = [[row[i] for i in keep] for row in rows if any(row)]  # drops the final empty row
    return _to_csv(rows[0], rows[1:])
