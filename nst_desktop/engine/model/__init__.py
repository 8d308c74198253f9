"""The network: VGG19, its weight sets and the devices it runs on."""
