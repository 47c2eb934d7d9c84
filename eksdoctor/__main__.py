from eksdoctor.cli import main

main()
