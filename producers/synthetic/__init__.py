"""A deterministic synthetic twin of Kaggle's IEEE-CIS fraud data (train_transaction/identity).

Kaggle's rules forbid redistributing the real rows, so demos and tests run on this twin. It keeps
what the pipeline and the model depend on: the exact headers and CSV formatting, the marginals and
the missingness structure (NaN blocks, product couplings), and Vesta's labelling: transactions
come from clients with a fixed card/address/account start, and once a client's card is reported
every later transaction of that client is fraud. Signal is planted, with noise, in the columns the
model reads (`model_server/features.py`) so a boosted model learns something but not everything.

Generation has two stages. A plan, O(rows) small arrays, fixes clients, event times and labels.
Then the wide rows are drawn and written in vectorised chunks, each from its own seeded
generator, so memory stays bounded and the same seed and row count give byte-identical files.

Modules: the real data's figures in `transaction_tables`, `identity_tables` and `vesta_tables`;
the plan in `population` (cards, clients) and `world` (times, labels); one chunk's columns in
`transactions`, `vesta` and `identity`; CSV text in `csv_cells`; the files in `files`.
"""

from producers.synthetic.csv_cells import format_floats
from producers.synthetic.files import GeneratedFiles, generate
from producers.synthetic.transaction_tables import FIRST_TRANSACTION_DT

__all__ = ["FIRST_TRANSACTION_DT", "GeneratedFiles", "format_floats", "generate"]
