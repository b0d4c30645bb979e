package main
import (
 _ "github.com/dghubble/go-twitter/twitter"
 _ "github.com/dghubble/oauth1"
 _ "github.com/mattn/go-sqlite3"
 _ "github.com/robfig/cron/v3"
 _ "go.yaml.in/yaml/v3"
 _ "golang.org/x/text/unicode/norm"
)
func main(){}
