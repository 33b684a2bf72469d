from liqscope.cli import main

main()
