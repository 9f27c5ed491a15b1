// Runs until its standard input closes (at once when there is none); with the agent loaded, it must still exit on its own.
Console.WriteLine("host app ran");
Console.In.ReadToEnd();
return 0;
