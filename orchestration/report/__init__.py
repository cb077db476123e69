"""Campaign reports: `data` reads the campaign marts, `render` draws one HTML page, `command`
is `hookhouse report`."""
