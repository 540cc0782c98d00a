"""bench boot: image sizes, boot times and the smallest guest RAM."""
