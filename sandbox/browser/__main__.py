from sandbox.browser.server import main

main()
