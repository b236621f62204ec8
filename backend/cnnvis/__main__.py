from cnnvis.cli import main

main()
