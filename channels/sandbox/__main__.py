from channels.sandbox.run import main

main()
