"""`python -m producers.synthetic --rows N --out DIR --seed S`."""

from producers.synthetic.cli import main

main()
