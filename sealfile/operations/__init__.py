"""One module per verb, each a library function over :class:`~sealfile.core.sopsfile.SopsFile`.

Operations take a :class:`~sealfile.settings.Settings` and plain arguments,
return data (bytes, trees, plans) or write files, and never print, prompt,
handle signals or start processes: that is the CLI's side.
"""
