"""The real train_transaction file's figures the twin reproduces: IDs, time, marginals, prices.

Shares (of non-null values) and rates are the real data's, rounded; the generator draws from
these tables and plants its signal on top. Kept apart so the numbers can be checked against
Kaggle's file without reading the sampling code.
"""

from __future__ import annotations

import numpy as np

FIRST_TRANSACTION_ID = 2_987_000
FIRST_TRANSACTION_DT = 86_400
TRANSACTIONS_PER_DAY = 3_227
DAY = 86_400

# ProductCD: transaction shares and fraud rates of the real train file.
PRODUCTS = ("W", "C", "R", "H", "S")
PRODUCT_SHARE = np.array([0.74452, 0.11603, 0.06384, 0.05592, 0.01969])
PRODUCT_FRAUD = np.array([0.020399, 0.116873, 0.037826, 0.047662, 0.058996])
W, C = 0, 1


def _weights(spec: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Parse 'name weight name weight ...' into names and normalised probabilities."""
    parts = spec.split()
    names = tuple(parts[0::2])
    weights = np.array([float(w) for w in parts[1::2]])
    return names, weights / weights.sum()


# P_emaildomain shares (per 100k of non-null); R_emaildomain draws from the same vocabulary.
EMAILS, P_EMAIL_P = _weights(
    "gmail.com 46038 yahoo.com 20349 hotmail.com 9108 anonymous.com 7489 aol.com 5695 "
    "comcast.net 1579 icloud.com 1258 outlook.com 1023 msn.com 823 att.net 813 "
    "sbcglobal.net 604 live.com 598 verizon.net 546 ymail.com 487 bellsouth.net 386 "
    "yahoo.com.mx 321 me.com 308 cox.net 278 optonline.net 205 charter.net 162 live.com.mx 146 "
    "rocketmail.com 133 mail.com 118 earthlink.net 108 gmail 100 mac.com 93 outlook.es 90 "
    "juno.com 65 hotmail.es 63 aim.com 61 hotmail.fr 60 roadrunner.com 59 windstream.net 59 "
    "frontier.com 57 twc.com 50 web.de 49 embarqmail.com 49 prodigy.net.mx 44 netzero.com 44 "
    "centurylink.net 42 q.com 41 netzero.net 38 frontiernet.net 37 cfl.rr.com 34 sc.rr.com 33 "
    "suddenlink.net 33 cableone.net 29 gmx.de 28 yahoo.fr 28 yahoo.es 26 hotmail.co.uk 23 "
    "protonmail.com 17 yahoo.de 16 ptd.net 12 live.fr 12 yahoo.co.uk 10 hotmail.de 10 "
    "servicios-ta.com 8 yahoo.co.jp 6 scranton.edu 0"
)
_R_EMAIL_SHARE = {
    "gmail.com": 416,
    "hotmail.com": 200,
    "anonymous.com": 149,
    "yahoo.com": 86,
    "aol.com": 27,
    "outlook.com": 18,
    "comcast.net": 13,
    "yahoo.com.mx": 11,
    "icloud.com": 10,
    "live.com.mx": 6,
    "live.com": 6,
    "msn.com": 5,
    "outlook.es": 5,
    "mail.com": 4,
    "me.com": 4,
    "protonmail.com": 3,
    "att.net": 3,
    "verizon.net": 3,
    "hotmail.es": 2,
    "scranton.edu": 1,
}
R_EMAIL_P = np.array([_R_EMAIL_SHARE.get(e, 0.3) for e in EMAILS])
R_EMAIL_P /= R_EMAIL_P.sum()
# Client fraud log-odds by purchaser domain (protonmail ~39% fraud in the real data).
_EMAIL_RISK = {
    "protonmail.com": 3.2,
    "mail.com": 1.7,
    "outlook.es": 1.4,
    "aim.com": 1.0,
    "outlook.com": 0.6,
    "anonymous.com": 0.5,
    "hotmail.com": 0.35,
    "icloud.com": 0.3,
    "gmail.com": 0.15,
    "yahoo.com": -0.1,
    "aol.com": -0.25,
    "comcast.net": -0.45,
    "att.net": -0.35,
    "sbcglobal.net": -0.35,
    "verizon.net": -0.35,
    "bellsouth.net": -0.45,
    "cox.net": -0.35,
}
EMAIL_RISK = np.array([_EMAIL_RISK.get(e, 0.0) for e in EMAILS] + [-0.3])  # last: no email

CARD4 = ("visa", "mastercard", "american express", "discover")
CARD4_P = np.array([0.6533, 0.32127, 0.01414, 0.01129])
CARD6 = ("debit", "credit", "debit or credit", "charge card")
# card1 values with the largest real counts, and their shares of all transactions.
CARD1_TOP = np.array([7919, 9500, 15885, 17188, 15066, 12695, 12544, 6019, 2803, 7585])
CARD1_TOP_SHARE = (
    np.array([14932, 14162, 10361, 10344, 7945, 7091, 6773, 6771, 6141, 5334]) / 590540
)
CARD1_BUCKETS = 13_553
CARD5_TOP = np.array([226, 224, 166, 102, 117, 138, 195, 126, 219, 202])
CARD5_TOP_P = np.array([0.505, 0.05, 0.09, 0.05, 0.05, 0.04, 0.03, 0.04, 0.03, 0.02])
CARD3_OTHER = np.array([144, 146, 117, 119, 143, 162, 106, 102, 185, 150])

ADDR1_TOP = np.array([299, 325, 204, 264, 330, 315, 441, 272, 123])
ADDR1_TOP_P = np.array([0.08829, 0.08146, 0.08006, 0.07597, 0.05009, 0.04397, 0.03968, 0.03838])
ADDR1_TOP_P = np.append(ADDR1_TOP_P, 0.03069)
ADDR2_VALUES = np.array([87, 60, 96, 32, 65, 16, 31, 19, 26, 27, 43, 102])
ADDR2_P = np.array([0.99171, 0.00588, 0.00122, 0.00017, 0.00016, 1e-4, 9e-5, 6e-5, 5e-5, 4e-5])
ADDR2_P = np.append(ADDR2_P, [3e-5, 2e-5])

M_FLAGS = ("T", "F")
M4_VALUES = ("M0", "M1", "M2")

# Hour-of-day weights: legit traffic dips at hours 4-11 (2017-11-30 origin); fraud does not.
LEGIT_HOURS = np.array(
    [9, 8, 7, 6, 4, 3, 2.5, 2, 1.6, 1.6, 2, 3, 5, 6, 7, 8, 8, 8, 9, 9, 9, 9, 9, 9]
)
FRAUD_HOURS = np.array([6, 6, 5, 5, 5, 5, 5, 6, 6, 5, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6])

# Priced products: amount levels and their weights (H/R/S sell fixed-price items).
PRICE_LEVELS = {
    PRODUCTS.index("R"): (
        np.array([25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000, 1800]),
        np.array([4, 12, 8, 20, 5, 12, 12, 6, 8, 4, 4, 2, 1.5, 0.2]),
    ),
    PRODUCTS.index("H"): (
        np.array([25, 35, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500]),
        np.array([8, 6, 25, 10, 22, 4, 8, 8, 2, 3, 1, 1]),
    ),
    PRODUCTS.index("S"): (
        np.array([10, 20, 25, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 1550]),
        np.array([5, 14, 12, 8, 20, 8, 14, 6, 6, 3, 2, 0.6, 0.1]),
    ),
}

# C1..C14: share of the client's count rate in each column, and 1 where the count starts at 1.
C_FACTOR_W = np.array([1.0, 0.95, 0.0, 0.02, 0.5, 0.9, 0.01, 0.02, 0.6, 0.02, 0.8, 0.01, 2.5, 0.9])
C_FACTOR_C = np.array([1.0, 1.1, 0.0, 0.5, 0.0, 0.9, 0.3, 0.45, 0.0, 0.4, 0.8, 0.35, 2.0, 0.9])
C_BASE = np.array([1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1])
C_MAX = np.array([4685, 5691, 26, 2253, 349, 2253, 2255, 3331, 210, 3257, 3188, 3188, 2918, 1429])
