"""Hand-written code the generated packages build on, one module per API version.

``amocrm.lib.v2.mixins`` holds the helper methods of the v2 models (custom fields, tags, links,
the seed's ``AmoObject`` methods); the spec names the mixins an entity gets (``x-mixins``) and
the generated class inherits them. The generator never writes here.
"""
