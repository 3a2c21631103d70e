"""`python -m keepers.console.graphql`: print the API's SDL (docs/console.graphql)."""

from keepers.console.graphql import sdl

print(sdl(), end="")
