"""`python -m qa.train.synthetic`: the generator's command line."""

from qa.train.synthetic.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
